"""Who among the staff may see and act on which dossiers (DESIGN §2): agents and supervisors of
the dossier's prefecture, with a verified second factor. Used by the back-office selectors and the
instruction services; every answer comes from ``accounts.permissions``."""

from __future__ import annotations

from accounts.models import Role, User
from accounts.permissions import is_verified_agent_of, role_prefecture_ids, staff_prefecture_ids
from applications.models import Dossier

INSTRUCTING_ROLES = (Role.AGENT, Role.SUPERVISOR)


def agent_prefecture_ids(*, user: User) -> set[int]:
    """Prefectures where the person instructs now (verified second factor)."""
    return staff_prefecture_ids(user=user, roles=INSTRUCTING_ROLES)


def supervised_prefecture_ids(*, user: User) -> set[int]:
    return staff_prefecture_ids(user=user, roles=(Role.SUPERVISOR,))


def is_supervisor_of(*, user: User, prefecture_id: int | None) -> bool:
    return is_verified_agent_of(user=user, prefecture_id=prefecture_id, roles=(Role.SUPERVISOR,))


def staff_can_instruct(*, user: User, dossier: Dossier) -> bool:
    return is_verified_agent_of(user=user, prefecture_id=dossier.prefecture_id, roles=INSTRUCTING_ROLES)


def may_be_assigned(*, agent: User, prefecture_id: int | None) -> bool:
    """Whether a file of this prefecture may be given to this person (a role there; the person is
    not the one acting, so no second factor is asked of them)."""
    return prefecture_id in role_prefecture_ids(user=agent, roles=INSTRUCTING_ROLES)
