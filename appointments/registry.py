"""What appointments know about the files they serve, without importing the apps that own them.

Higher apps register a provider per subject type in their ``AppConfig.ready()``: applications
says, for a dossier, which motives its holder may book online (card collection once the card is
ready) and how to name it on a letter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectInfo:
    type: str
    id: str
    label: str
    prefecture_id: int | None
    self_bookable_motives: frozenset[str]


#: subject type -> (user, subject id) -> SubjectInfo for that user's own subject, or None.
PROVIDERS: dict[str, Callable[[object, str], SubjectInfo | None]] = {}
#: subject type -> subject id -> label (for letters and staff pages).
LABELS: dict[str, Callable[[str], str]] = {}
#: subject type -> subject ids -> {id: label}, for pages listing many bookings (one query, not one each).
BULK_LABELS: dict[str, Callable[[list[str]], dict[str, str]]] = {}
#: subject type -> subject id -> what the convocation letter adds for that file (JSON values, keys
#: of the letter's optional context: see ``documents/pdf/convocation.html``).
LETTERS: dict[str, Callable[[str], dict]] = {}


def register(subject_type: str, *, provider, label, labels=None, letter=None) -> None:
    PROVIDERS[subject_type] = provider
    LABELS[subject_type] = label
    if labels is not None:
        BULK_LABELS[subject_type] = labels
    if letter is not None:
        LETTERS[subject_type] = letter


def subject_for(user, subject_type: str, subject_id: str) -> SubjectInfo | None:
    provider = PROVIDERS.get(subject_type)
    return provider(user, subject_id) if provider else None


def subject_label(subject_type: str, subject_id: str) -> str:
    label = LABELS.get(subject_type)
    return label(subject_id) if label else subject_id


def subject_labels(subjects: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Labels of many subjects at once: ``{(type, id): label}``; unknown types keep their id."""
    by_type: dict[str, set[str]] = {}
    for subject_type, subject_id in subjects:
        if subject_id:
            by_type.setdefault(subject_type, set()).add(subject_id)
    labels: dict[tuple[str, str], str] = {}
    for subject_type, ids in by_type.items():
        bulk = BULK_LABELS.get(subject_type)
        found = bulk(sorted(ids)) if bulk else {i: subject_label(subject_type, i) for i in ids}
        labels.update({(subject_type, i): found.get(i, i) for i in ids})
    return labels


def subject_letter(subject_type: str, subject_id: str) -> dict:
    """What the convocation letter says about this file beyond the appointment ({} if nothing)."""
    letter = LETTERS.get(subject_type)
    return letter(subject_id) if letter and subject_id else {}


#: Higher apps add, for the desk's day, an action on some bookings: each provider takes (user,
#: bookings) and returns {booking id: (label, url)} in one query (the paper intake of a convocation
#: to file on paper, from ``substitution``). A booking gets the first action offered.
DESK_ACTIONS: list[Callable[[object, list], dict[int, tuple[str, str]]]] = []


def desk_actions(user, bookings: list) -> dict[int, tuple[str, str]]:
    actions: dict[int, tuple[str, str]] = {}
    for provider in DESK_ACTIONS:
        for booking_id, action in provider(user, bookings).items():
            actions.setdefault(booking_id, action)
    return actions
