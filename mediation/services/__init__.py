"""Writes of the mediation app; import from here."""

from mediation.services.visits import (  # noqa: F401
    Visitor,
    duration_from,
    visit_check_in,
    visit_end,
    visit_link_person,
    visit_record,
)
