"""Where a letter is printed: the rule that gives each LETTER row of the outbox its printing desk.

A letter is printed, folded and posted by a desk that has a printer and franking: the PAN that made
the person's account, when a mediator of exactly one help point did (the person knows that desk and
goes back to it), otherwise the person's competent prefecture (the département of their address, or
of the postcode of a contact's address). See docs/adr/0008-letter-batches.md.

The desk is decided once, when ``notify`` writes the row, and stored on it (``letter_prefecture``,
``letter_site``): the printing desk's count and batch are then one indexed filter, and a person who
moves afterwards does not move letters already queued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accounts.models import AccountOrigin, AuditEvent, Membership, Role, User
from territory.models import Prefecture, Site
from territory.selectors import prefecture_for_postcode

if TYPE_CHECKING:
    from notifications.services import Contact

_POSTCODE_IN_ADDRESS = re.compile(r"\b(\d{5})\b")
#: The audit action recorded when a mediator or an agent makes an account for a person.
ACCOUNT_MADE_FOR_PERSON = "account.created_for_person"


@dataclass(frozen=True)
class LetterRoute:
    prefecture_id: int | None = None
    site_id: int | None = None


def letter_route_for_user(*, user: User) -> LetterRoute:
    """The desk that prints ``user``'s letters: the PAN that made the account, else the prefecture."""
    pan = _pan_that_made_account(user)
    if pan is not None:
        return LetterRoute(prefecture_id=pan[1], site_id=pan[0])
    if user.department_id is not None:
        prefecture_id = (Prefecture.objects.filter(department_id=user.department_id)
                         .values_list("id", flat=True).first())
        if prefecture_id is not None:
            return LetterRoute(prefecture_id=prefecture_id)
    prefecture = prefecture_for_postcode(user.postal_code)
    return LetterRoute(prefecture_id=prefecture.pk if prefecture else None)


def letter_route_for_contact(*, contact: Contact) -> LetterRoute:
    """A person without an account: the prefecture of the last postcode in their address."""
    postcodes = _POSTCODE_IN_ADDRESS.findall(contact.postal_address or "")
    prefecture = prefecture_for_postcode(postcodes[-1]) if postcodes else None
    return LetterRoute(prefecture_id=prefecture.pk if prefecture else None)


def _pan_that_made_account(user: User) -> tuple[int, int] | None:
    """(site id, prefecture id) of the help point whose mediator made this account, when the maker
    mediates at exactly one PAN; None otherwise (self sign-up, an agent, an ambiguous mediator)."""
    if user.origin != AccountOrigin.ASSISTED:
        return None
    maker_id = (AuditEvent.objects.filter(action=ACCOUNT_MADE_FOR_PERSON, object_type=user._meta.label_lower,
                                          object_id=str(user.pk)).order_by("at")
                .values_list("actor_id", flat=True).first())
    if maker_id is None:
        return None
    pans = list(Membership.objects.filter(user_id=maker_id, role=Role.MEDIATOR, site__kind=Site.Kind.PAN)
                .values_list("site_id", "site__prefecture_id")[:2])
    return pans[0] if len(pans) == 1 else None
