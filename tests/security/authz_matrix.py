"""The authorisation matrix: for every route of the URL configuration and every role, what a request
must get. ``tests/security/test_authz_matrix.py`` requests every route as every role (one GET per
route and role, with one signed-in client per role: ``matrix_world.py``) and fails on any difference,
and on any route that has no row here, naming it.

Outcomes (``routes.py``): ``OK`` (2xx), ``REDIRECT`` (3xx elsewhere than the sign-in steps),
``LOGIN`` (to the login page), ``SECOND_FACTOR`` (staff sent to prove their second factor),
``UNAUTHORIZED`` (401, the API without credentials), ``FORBIDDEN`` (403), ``NOT_FOUND`` (404: an
object outside the person's reach, never a 403 that would confirm it exists), ``NOT_ALLOWED`` (405),
``BAD_REQUEST`` (400: allowed, but the empty form or made-up token is refused).

How to declare a row, keyed by the route's URL name (``namespace:name``):

- ``everyone(OK)``: the same outcome for every role (public pages);
- ``signed_in(OK, applicant=..., ...)``: anonymous visitors and API-token holders go to the login
  page, every signed-in role gets the first outcome unless named;
- ``backoffice(FORBIDDEN, agent=OK, ...)``: as ``signed_in`` and, besides, applicants get a 403 and
  staff without a verified second factor are sent to prove it (``StaffSecondFactorMiddleware``);
  the verified staff roles get the first outcome unless named;
- ``row(default, role=...)``: any outcome per role;
- ``post_only(...)``: a route that only accepts POST (a state-changing action): the row says what a
  POST gets (empty form; whatever an allowed role's POST writes is rolled back); a GET must get a
  405 or a refusal.

For every role refused on GET (login, 403, 404, second factor), the matrix also sends a POST and
checks that it is refused too and writes nothing but the session and lockout bookkeeping.

A key ending in ``*`` covers every route whose key starts with what precedes it (``"admin:*"``).
Use it only where every route in it truly has the same expectation; an exact key wins over a
pattern, and the longest pattern wins. Routes covered only by a pattern get the GET check.

**API routes** (``/api/v1/...``, ``/api/schema/``, ``/api/docs/``, app ``api``): DRF answers 401 to
no credentials and 403 to a refused role rather than redirecting to the login page (``UNAUTHORIZED``
counts as a refusal): ``api(...)`` (any signed-in person; staff only with a verified second factor),
``api_own(...)`` (the applicant's own object: everyone else a 404), ``api_agents(...)`` (instructing
staff; another prefecture's file a 404). The API-token role's client carries a real personal key of
the applicant (``accounts.services.tokens``, ``Authorization: Bearer anef_…``); HTML pages treat it
as anonymous. Endpoints that take only PUT or DELETE answer 405 to GET and POST: a plain ``row``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.security.matrix_world import ROLES
from tests.security.routes import (
    FORBIDDEN,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    SECOND_FACTOR,
    UNAUTHORIZED,
)

BAD_REQUEST = "400"
CONFLICT = "409"
#: The admin reached: its page, its redirect when object 1 does not exist, its own 404, its 403 for
#: adding to or deleting from a read-only model (audit events, issued documents…), its 405.
ADMIN_REACHED = frozenset({OK, REDIRECT, NOT_FOUND, FORBIDDEN, "405"})
#: What a refused request gets.
REFUSALS = frozenset({LOGIN, SECOND_FACTOR, FORBIDDEN, NOT_FOUND, UNAUTHORIZED})

APPLICANTS = ("applicant", "other_applicant", "applicant_no_email")
UNSIGNED = ("anonymous", "api_token")

Expected = str | frozenset[str]


@dataclass(frozen=True)
class Row:
    expected: dict[str, Expected]
    post_only: bool = False


def row(default: Expected, **roles: Expected) -> Row:
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return Row({role: roles.get(role, default) for role in ROLES})


def everyone(outcome: Expected) -> Row:
    return row(outcome)


def signed_in(default: Expected, **roles: Expected) -> Row:
    return row(default, **{**dict.fromkeys(UNSIGNED, LOGIN), **roles})


def backoffice(default: Expected, **roles: Expected) -> Row:
    fixed: dict[str, Expected] = {**dict.fromkeys(UNSIGNED, LOGIN), **dict.fromkeys(APPLICANTS, FORBIDDEN),
                                  "staff_unverified": SECOND_FACTOR}
    return row(default, **{**fixed, **roles})


def api(default: Expected, **roles: Expected) -> Row:
    """An API endpoint (``IsPerson``): 401 without credentials, 403 to staff without a verified second
    factor; the API-token role is the applicant (its key); the other roles get the first outcome unless named."""
    return row(default, **{"anonymous": UNAUTHORIZED, "staff_unverified": FORBIDDEN, **roles})


def api_own(default: Expected, **roles: Expected) -> Row:
    """An applicant endpoint on the applicant's object: the applicant, by session or by key, gets the
    first outcome; everyone else (without a mandate header, a mediator acts as themselves) a 404."""
    return api(NOT_FOUND, **{"applicant": default, "api_token": default, **roles})


def api_agents(default: Expected, **roles: Expected) -> Row:
    """An agents' endpoint (``AgentView``): 403 to applicants (and their key), to mediators, support,
    technical staff and the administrator (not instructing); the agents of the file's prefecture and
    their supervisor get the first outcome, an agent of another prefecture a 404."""
    return api(FORBIDDEN, **{"agent": default, "supervisor": default, "agent_other": NOT_FOUND, **roles})


def post_only(declared: Row) -> Row:
    return Row(declared.expected, post_only=True)


MATRIX: dict[str, Row] = {
    "home": everyone(OK),
    "help": everyone(OK),
    "helpcentre:home": everyone(OK),
    "helpcentre:search": everyone(OK),
    "helpcentre:article": everyone(OK),
    "helpcentre:feedback": post_only(everyone(REDIRECT)),
    "helpcentre:step": everyone(REDIRECT),
    "helpcentre:error": everyone(REDIRECT),
    "helpcentre:error_at_step": everyone(REDIRECT),
    "accessibility": everyone(OK),
    "legal_notice": everyone(OK),
    "personal_data": everyone(OK),
    "set_language": post_only(everyone(REDIRECT)),
    "healthz": everyone(OK),
    "livez": everyone(OK),
    "readyz": everyone(OK),
    "accounts:sign_up": row(REDIRECT, anonymous=OK, api_token=OK),
    "accounts:sign_up_done": everyone(OK),
    "accounts:resend_verification": everyone(OK),
    "accounts:verify_email": everyone(BAD_REQUEST),
    "accounts:login": everyone(OK),
    "accounts:logout": post_only(everyone(REDIRECT)),
    "accounts:profile": signed_in(OK),
    "accounts:password_change": signed_in(OK),
    "accounts:password_reset": everyone(OK),
    "accounts:password_reset_done": everyone(OK),
    "accounts:password_reset_confirm": everyone(OK),
    "accounts:password_reset_complete": everyone(OK),
    "accounts:activate": everyone(OK),
    "accounts:password_reset_sms": everyone(OK),
    "accounts:password_reset_sms_confirm": everyone(OK),
    "accounts:mandates": signed_in(OK, mediator_mandate=FORBIDDEN),
    # Personal API keys: each person their own (staff unverified may see the page, not make a key:
    # accounts.services.tokens refuses it); not in an assisted session.
    "accounts:api_tokens": signed_in(OK, mediator_mandate=FORBIDDEN),
    "accounts:api_token_revoke": post_only(signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=FORBIDDEN)),
    "accounts:mandate_revoke": post_only(signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=FORBIDDEN)),
    "accounts:totp_enrol": backoffice(SECOND_FACTOR),
    "accounts:totp_verify": signed_in(REDIRECT, applicant=FORBIDDEN, other_applicant=FORBIDDEN,
        applicant_no_email=FORBIDDEN, staff_unverified=OK),
    "accounts:backup_codes": signed_in(REDIRECT, applicant=FORBIDDEN, other_applicant=FORBIDDEN,
        applicant_no_email=FORBIDDEN),
    "backoffice:home": backoffice(OK),
    "backoffice:second_factor_unblock": post_only(backoffice(NOT_FOUND, supervisor=REDIRECT, administrator=REDIRECT)),
    "backoffice:person_account_create": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "backoffice:activation_reissue": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "backoffice:person_account_created": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "backoffice:welcome_letter_print": post_only(backoffice(FORBIDDEN, mediator_mandate=NOT_FOUND, mediator=NOT_FOUND)),
    "backoffice:mandates": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "backoffice:mandate_receive_code": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "backoffice:mandate_receive_form": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "backoffice:assisted_session_start": post_only(backoffice(FORBIDDEN, mediator_mandate=REDIRECT,
        mediator=NOT_FOUND)),
    "backoffice:assisted_session_end": post_only(backoffice(FORBIDDEN, mediator_mandate=REDIRECT, mediator=REDIRECT)),
    "backoffice_reports:statistics": backoffice(FORBIDDEN, agent=OK, agent_other=OK, supervisor=OK),
    "backoffice_reports:exports": backoffice(FORBIDDEN, agent=OK, agent_other=OK, supervisor=OK),
    "backoffice_reports:export_download": backoffice(FORBIDDEN, agent=NOT_FOUND, agent_other=NOT_FOUND,
        supervisor=NOT_FOUND),
    "backoffice_instruction:queue": backoffice(FORBIDDEN, agent=OK, agent_other=OK, supervisor=OK),
    "backoffice_instruction:dossier": backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK),
    "backoffice_instruction:journal": backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK),
    "backoffice_instruction:attachment": backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK),
    "backoffice_instruction:attachment_review": post_only(backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND,
        supervisor=OK)),
    "backoffice_instruction:take": post_only(backoffice(FORBIDDEN, agent=REDIRECT, agent_other=NOT_FOUND,
        supervisor=REDIRECT)),
    "backoffice_instruction:assign": post_only(backoffice(FORBIDDEN, agent_other=NOT_FOUND, supervisor=REDIRECT)),
    "backoffice_instruction:complete": post_only(backoffice(FORBIDDEN, agent=REDIRECT, agent_other=NOT_FOUND,
        supervisor=REDIRECT)),
    "backoffice_instruction:complements": post_only(backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND,
        supervisor=OK)),
    "backoffice_instruction:biometrics": post_only(backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND,
        supervisor=OK)),
    "backoffice_instruction:decide": post_only(backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK)),
    "backoffice_instruction:card": post_only(backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK)),
    "backoffice_instruction:extension": post_only(backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND,
        supervisor=OK)),
    "backoffice_instruction:workload": backoffice(FORBIDDEN, supervisor=OK),
    "backoffice_instruction:reassign": post_only(backoffice(FORBIDDEN, supervisor=REDIRECT)),
    "appointments_backoffice:desks": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, administrator=FORBIDDEN),
    "appointments_backoffice:day": backoffice(NOT_FOUND, agent=OK, supervisor=OK),
    "appointments_backoffice:rules": backoffice(NOT_FOUND, agent=FORBIDDEN, supervisor=OK),
    "appointments_backoffice:rule_add": post_only(backoffice(NOT_FOUND, agent=FORBIDDEN, supervisor=OK)),
    "appointments_backoffice:rule_delete": post_only(backoffice(NOT_FOUND, agent=FORBIDDEN, supervisor=REDIRECT)),
    "appointments_backoffice:closure_add": post_only(backoffice(NOT_FOUND, agent=FORBIDDEN, supervisor=OK)),
    "appointments_backoffice:generate": post_only(backoffice(NOT_FOUND, agent=FORBIDDEN, supervisor=REDIRECT)),
    "appointments_backoffice:mark": post_only(backoffice(NOT_FOUND, agent=REDIRECT, supervisor=REDIRECT)),
    "appointments_backoffice:reconvoke": backoffice(NOT_FOUND, agent=REDIRECT, supervisor=REDIRECT),
    "substitution_backoffice:queue": backoffice(OK, technical=FORBIDDEN, administrator=FORBIDDEN),
    "substitution_backoffice:figures": backoffice(FORBIDDEN, support=OK, supervisor=OK),
    "substitution_backoffice:figures_csv": backoffice(FORBIDDEN, support=OK, supervisor=OK),
    "substitution_backoffice:record": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK, support=OK),
    "substitution_backoffice:anomalies": backoffice(FORBIDDEN, support=OK, technical=OK),
    "substitution_backoffice:anomaly": backoffice(FORBIDDEN, support=OK, technical=OK),
    "substitution_backoffice:anomaly_workaround": post_only(backoffice(FORBIDDEN, technical=BAD_REQUEST)),
    "substitution_backoffice:anomaly_fix": post_only(backoffice(FORBIDDEN, technical=REDIRECT)),
    "substitution_backoffice:anomaly_link_report": post_only(backoffice(FORBIDDEN, support=BAD_REQUEST,
        technical=BAD_REQUEST)),
    "substitution_backoffice:recorded": backoffice(FORBIDDEN, mediator_mandate=NOT_FOUND, mediator=NOT_FOUND,
        support=OK),
    "substitution_backoffice:detail": backoffice(NOT_FOUND, support=OK, technical=FORBIDDEN, agent=OK, supervisor=OK,
        administrator=FORBIDDEN),
    "substitution_backoffice:answer": post_only(backoffice(FORBIDDEN, support=BAD_REQUEST)),
    "substitution_backoffice:resolve": post_only(backoffice(FORBIDDEN, support=BAD_REQUEST)),
    "substitution_backoffice:unresolved": post_only(backoffice(FORBIDDEN, support=BAD_REQUEST)),
    "substitution_backoffice:link_anomaly": post_only(backoffice(FORBIDDEN, support=BAD_REQUEST)),
    "substitution_backoffice:evidence": backoffice(NOT_FOUND, technical=FORBIDDEN, administrator=FORBIDDEN),
    "substitution_backoffice:impossibility": post_only(backoffice(FORBIDDEN, agent=BAD_REQUEST, agent_other=NOT_FOUND,
        supervisor=BAD_REQUEST)),
    "substitution_backoffice:without_slot": backoffice(FORBIDDEN, supervisor=OK),
    "substitution_backoffice:intake": backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK),
    "substitution_backoffice:intake_registered": backoffice(FORBIDDEN, agent=OK, agent_other=NOT_FOUND, supervisor=OK),
    "letters_backoffice:desk": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, administrator=FORBIDDEN),
    "letters_backoffice:build": post_only(backoffice(NOT_FOUND, support=FORBIDDEN, technical=FORBIDDEN,
        administrator=FORBIDDEN)),
    "letters_backoffice:download": backoffice(NOT_FOUND, support=FORBIDDEN, technical=FORBIDDEN,
        administrator=FORBIDDEN),
    "letters_backoffice:mark_printed": post_only(backoffice(NOT_FOUND, support=FORBIDDEN, technical=FORBIDDEN,
        administrator=FORBIDDEN)),
    "mediation_backoffice:home": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, agent=FORBIDDEN,
        agent_other=FORBIDDEN),
    "mediation_backoffice:check_in": backoffice(FORBIDDEN, mediator_mandate=OK, mediator=OK),
    "mediation_backoffice:visit": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, agent=FORBIDDEN,
        agent_other=FORBIDDEN),
    "mediation_backoffice:visit_account": backoffice(FORBIDDEN, mediator_mandate=REDIRECT, mediator=REDIRECT),
    "mediation_backoffice:today": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, agent=FORBIDDEN,
        agent_other=FORBIDDEN),
    "mediation_backoffice:day": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, agent=FORBIDDEN,
        agent_other=FORBIDDEN),
    "mediation_backoffice:figures": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, agent=FORBIDDEN,
        agent_other=FORBIDDEN),
    "mediation_backoffice:figures_csv": backoffice(OK, support=FORBIDDEN, technical=FORBIDDEN, agent=FORBIDDEN,
        agent_other=FORBIDDEN),
    "notifications:inbox": signed_in(OK),
    "notifications:detail": signed_in(NOT_FOUND, applicant=OK),
    "notifications:letters": signed_in(OK),
    "appointments:list": signed_in(OK),
    "appointments:book": signed_in(OK),
    "appointments:detail": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "appointments:ics": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "appointments:cancel": signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=REDIRECT),
    "appointments:reschedule": signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=REDIRECT),
    "appointments:waitlist": post_only(signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=REDIRECT)),
    "appointments:offer_accept": post_only(signed_in(NOT_FOUND)),
    "appointments:offer_decline": post_only(signed_in(NOT_FOUND)),
    "substitution:report": everyone(OK),
    "substitution:created": everyone(NOT_FOUND),
    "substitution:follow": everyone(OK),
    "substitution:follow_reopen": post_only(everyone(REDIRECT)),
    "substitution:follow_evidence": everyone(NOT_FOUND),
    "substitution:mine": signed_in(OK),
    "substitution:mine_detail": signed_in(NOT_FOUND, applicant=OK),
    "substitution:mine_reopen": post_only(signed_in(NOT_FOUND, applicant=REDIRECT)),
    "substitution:mine_evidence": signed_in(NOT_FOUND),
    "substitution:follow_another_date": post_only(everyone(REDIRECT)),
    "substitution:follow_letter": everyone(NOT_FOUND),
    "substitution:mine_another_date": post_only(signed_in(NOT_FOUND, applicant=REDIRECT)),
    "applications:catalogue": everyone(OK),
    "applications:start": post_only(signed_in(REDIRECT)),
    "applications:dashboard": signed_in(OK),
    "applications:dossier": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "applications:step": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "applications:abandon": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "applications:withdraw": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=FORBIDDEN),
    "applications:amend": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "applications:complements": post_only(signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=REDIRECT)),
    "applications:upload": post_only(signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=REDIRECT)),
    "applications:attachment": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK),
    "applications:attachment_remove": post_only(signed_in(NOT_FOUND, applicant=REDIRECT, mediator_mandate=REDIRECT)),
    "documents:download": signed_in(NOT_FOUND, applicant=OK, mediator_mandate=OK, agent=OK, supervisor=OK),
    "documents:verify": everyone(OK),
    "documents:verify_token": everyone(BAD_REQUEST),
    # The API (/api/v1/, ADR 0010): JSON, 401/403/404 rather than redirects. The API-token role carries
    # a key of the applicant. Verified staff reach the applicant endpoints as themselves (their own,
    # empty, lists); a mediator acts for someone only with the X-Anef-Mandate header, which the
    # matrix does not send, so the assisted session of the browser reaches nothing of the applicant's.
    "api:me": api(OK),
    "api:permits": api(OK),
    "api:dossiers": api(OK),
    "api:dossier": api_own(OK),
    "api:dossier-timeline": api_own(OK),
    "api:dossier-step": api(NOT_ALLOWED),  # PUT only
    "api:dossier-attachment": api(NOT_ALLOWED),  # DELETE only
    "api:dossier-attachments": post_only(api_own(BAD_REQUEST)),
    "api:dossier-submit": post_only(api_own(BAD_REQUEST)),
    "api:dossier-complements": post_only(api_own(BAD_REQUEST)),
    "api:documents": api(OK),
    # As the HTML download: the holder, and the agents of the file's prefecture.
    "api:document-pdf": api_own(OK, agent=OK, supervisor=OK),
    "api:messages": api(OK),
    "api:appointments": api(OK),
    "api:appointment-slots": api(BAD_REQUEST),  # without the motive it asks for
    "api:appointment": api_own(OK),
    "api:appointment-cancel": post_only(api_own(CONFLICT)),  # the booking's biometrics are taken
    "api:appointment-reschedule": post_only(api_own(BAD_REQUEST)),
    "api:verify": post_only(everyone(BAD_REQUEST)),
    "api:backoffice-queue": api_agents(OK, agent_other=OK),
    "api:backoffice-file": api_agents(OK),
    "api:backoffice-take": post_only(api_agents(OK)),
    "api:backoffice-complete": post_only(api_agents(OK)),
    "api:backoffice-complements": post_only(api_agents(BAD_REQUEST)),
    "api:backoffice-convocation": post_only(api_agents(BAD_REQUEST)),
    "api:backoffice-decision": post_only(api_agents(BAD_REQUEST)),
    "api:backoffice-card": post_only(api_agents(BAD_REQUEST)),
    "api:schema": everyone(OK),
    "api:docs": everyone(OK),
    "admin-login-redirect": backoffice(LOGIN),
    "admin:index": backoffice(LOGIN, administrator=OK),
    # The admin's own login page sends everyone to the portal's (one way in); its logout is POST only.
    "admin:login": backoffice(LOGIN),
    "admin:logout": backoffice(REDIRECT, administrator="405"),
    "admin:accounts_user_change": backoffice(LOGIN, administrator=OK),
    # The Django admin: the whole prefix is gated by StaffSecondFactorMiddleware, then by the
    # admin's own is_staff check (a verified agent without it goes to the admin's login, which sends
    # on to the portal's); only the DGEF administrator reaches it.
    "admin:*": backoffice(LOGIN, administrator=ADMIN_REACHED),
}


def row_for(key: str) -> tuple[str, Row] | None:
    """The row that declares the route ``key``: its own, else the longest pattern covering it."""
    if key in MATRIX:
        return key, MATRIX[key]
    patterns = [p for p in MATRIX if p.endswith("*") and key.startswith(p[:-1])]
    if not patterns:
        return None
    best = max(patterns, key=len)
    return best, MATRIX[best]


__all__ = ["MATRIX", "REFUSALS", "Row", "row_for"]
