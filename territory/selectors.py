"""Reads about places: which département, and so which prefecture, a postcode belongs to."""

from __future__ import annotations

import re

from territory.models import Prefecture

_POSTCODE = re.compile(r"^\d{5}$")
#: Corsica's postcodes all start with 20 but the island has two départements since 1976: Corse-du-Sud
#: (2A) has 20000-20199, Haute-Corse (2B) 20200-20999 (La Poste's ranges).
_CORSICA_SOUTH_LAST = 20199


def department_code_for_postcode(postcode: str) -> str | None:
    """The code of the département a French postcode belongs to ("69002" -> "69"), or None.

    Mainland postcodes start with the two digits of the département, Corsica's with 20 (2A or 2B
    by range), and overseas départements' (971 to 976) with their three digits. Saint-Pierre-et-
    Miquelon (975) is a collectivity without a prefecture of this service: it gives its code and
    the caller finds no prefecture.
    """
    postcode = (postcode or "").strip().replace(" ", "")
    if not _POSTCODE.match(postcode):
        return None
    if postcode.startswith("97"):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if int(postcode) <= _CORSICA_SOUTH_LAST else "2B"
    return postcode[:2]


def prefecture_for_postcode(postcode: str) -> Prefecture | None:
    """The prefecture competent for a person living at this postcode; None when it names none."""
    code = department_code_for_postcode(postcode)
    if code is None:
        return None
    return Prefecture.objects.select_related("department").filter(department__code=code).first()
