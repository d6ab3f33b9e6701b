"""Who among the staff may see and act on which dossiers (DESIGN §2): agents and supervisors of
the dossier's prefecture. Used by the back-office selectors and the instruction services."""

from __future__ import annotations

from accounts.models import Role, User
from accounts.selectors import user_memberships
from applications.models import Dossier

INSTRUCTING_ROLES = (Role.AGENT, Role.SUPERVISOR)


def agent_prefecture_ids(*, user: User) -> set[int]:
    return {m.prefecture_id for m in user_memberships(user=user) if m.role in INSTRUCTING_ROLES and m.prefecture_id}


def supervised_prefecture_ids(*, user: User) -> set[int]:
    return {m.prefecture_id for m in user_memberships(user=user) if m.role == Role.SUPERVISOR and m.prefecture_id}


def is_supervisor_of(*, user: User, prefecture_id: int | None) -> bool:
    return prefecture_id is not None and prefecture_id in supervised_prefecture_ids(user=user)


def staff_can_instruct(*, user: User, dossier: Dossier) -> bool:
    return bool(user.is_authenticated and dossier.prefecture_id in agent_prefecture_ids(user=user))
