"""Reads of the mediation app; import from here."""

from mediation.selectors.figures import (  # noqa: F401
    VisitFigures,
    default_period,
    visit_figures,
)
from mediation.selectors.visits import (  # noqa: F401
    PersonMatch,
    applicant_get_for_check_in,
    applicants_search,
    day_bounds,
    pan_site_get_for_staff,
    pan_sites_kept_by,
    pan_sites_visible,
    reports_to_link,
    visit_get_for_staff,
    visits_of_day,
)
