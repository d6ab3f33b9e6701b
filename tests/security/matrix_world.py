"""The people and objects the authorisation matrix (``test_authz_matrix.py``) requests every route
with: one signed-in client per role, and real objects made by the factories so that each route's
object-level check runs (another applicant's dossier is a 404, another prefecture's file too).

Every route's URL arguments come from :func:`url_kwargs`; an argument it does not know fails the
matrix with a message naming the route, so that a new route with a new kind of argument is given a
real object rather than a made-up id."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from accounts.mandates import ASSISTED_SESSION_KEY
from accounts.models import Mandate, Role
from tests.factories import (
    REPORT_SECRET,
    AnomalyFactory,
    BlockingReportFactory,
    InvitationFactory,
    StaffFactory,
    UserFactory,
    biometrics_taken,
    prefecture,
)

#: Every role of the matrix, in the order of its columns (DESIGN §2 and issue 17).
ROLES = (
    "anonymous",
    "applicant",  # owns every applicant-side object of the world
    "other_applicant",  # a signed-in applicant who owns none of them
    "applicant_no_email",  # an account made at a desk, no e-mail address
    "mediator_mandate",  # a PAN mediator acting for the applicant under a mandate (assisted session)
    "mediator",  # a mediator of the same PAN, no mandate
    "support",  # CCC agent (national)
    "technical",  # technical team (national)
    "agent",  # agent of the dossier's prefecture (Rhône, 69)
    "agent_other",  # agent of another prefecture (Gironde, 33)
    "supervisor",  # supervisor (chef de bureau) of the Rhône
    "administrator",  # DGEF administrator (national)
    "staff_unverified",  # an agent of the Rhône who typed the password but not the second factor
    "api_token",  # a client carrying the applicant's API token and no session
)

#: An id no object has: for an argument whose object the world does not make, the route is still
#: requested (its gate runs before the object is looked up) and a role that passes the gate gets a 404.
MISSING = 999_999


@dataclass
class World:
    clients: dict[str, Client] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)


def _verified(user) -> Client:
    from tests.backoffice.conftest import sign_in

    return sign_in(Client(raise_request_exception=False), user)


def _session_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _api_token_client(user) -> tuple[Client, Any]:
    """A client that carries a personal API key of the applicant (``Authorization: Bearer anef_…``,
    made by ``accounts.services.tokens`` as the key page makes it) and no session: the API knows
    the applicant by it; HTML pages must treat it as anonymous. Returns the client and the token."""
    from accounts.services.tokens import api_token_create

    token, key = api_token_create(user=user, name="Matrice")
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {key}"), token


def build_world() -> World:
    from applications.models import QueueExport
    from appointments.models import OpeningRule
    from documents.models import IssuedDocument
    from mediation.services import Visitor, visit_check_in
    from notifications.models import Notification
    from tests.backoffice.conftest import file_renewal

    world = World()
    applicant = UserFactory(first_name="Amina", last_name="Diallo")
    dossier = file_renewal(applicant=applicant)  # filed in the Rhône, attachments, filing receipt
    from applications.services import draft_start
    from tests.factories import procedure

    draft, _ = draft_start(applicant=applicant, procedure=procedure("premiere-demande-etudiant"))
    from applications.services import attachment_add
    from tests.applications.helpers import pdf_file

    draft_attachment = attachment_add(dossier=draft, uploaded_file=pdf_file(), by=applicant,
                                      document_type=draft.procedure.requirements.first().document_type)
    booking = biometrics_taken(dossier, status="booked")
    desk = booking.slot.desk
    rule = OpeningRule.objects.create(desk=desk, motive=booking.motive, weekday=0,
                                      opens_at="09:00", closes_at="12:00")
    report = BlockingReportFactory(with_account=True, person=applicant)
    public_report = BlockingReportFactory()  # no account: its follow link carries REPORT_SECRET
    invitation = InvitationFactory()
    document = IssuedDocument.objects.filter(holder=applicant).order_by("pk").first()
    message = Notification.objects.create(recipient=applicant, event="matrix.test", object_type="x",
                                          object_id="1", channel="inbox", subject="Bonjour", body="Bonjour")

    from tests.mediation.conftest import make_pan

    pan = make_pan("69")
    users = {
        "applicant": applicant,
        "other_applicant": UserFactory(),
        "applicant_no_email": UserFactory(without_email=True),
        "mediator_mandate": StaffFactory(mediator=True, role__site=pan, with_totp=True),
        "mediator": StaffFactory(mediator=True, role__site=pan, with_totp=True),
        "support": StaffFactory(support=True, with_totp=True),
        "technical": StaffFactory(technical=True, with_totp=True),
        "agent": StaffFactory(with_totp=True),
        "agent_other": StaffFactory(role__code="33", with_totp=True),
        "supervisor": StaffFactory(supervisor=True, with_totp=True),
        # The DGEF administrator works in the Django admin, which asks Django's own flags (seed_demo).
        "administrator": StaffFactory(role=Role.ADMINISTRATOR, with_totp=True, is_staff=True, is_superuser=True),
        "staff_unverified": StaffFactory(with_totp=True),
    }
    mediator = users["mediator_mandate"]
    site = pan
    mandate = Mandate.objects.create(person=applicant, mediator=mediator, site=site, channel="consent_code",
                                     recorded_by=mediator, expires_at=timezone.now() + timedelta(days=1))
    visit = visit_check_in(by=mediator, site=site, need="file_request", person=None,
                           visitor=Visitor(last_name="Koné"), at=timezone.now() - timedelta(minutes=5))
    export = QueueExport.objects.create(requested_by=users["agent"], prefecture=prefecture("69"))

    for role in ROLES:
        if role == "anonymous":
            world.clients[role] = Client(raise_request_exception=False)
        elif role == "api_token":
            world.clients[role], api_token = _api_token_client(applicant)
        elif role in ("applicant", "other_applicant", "applicant_no_email", "staff_unverified"):
            world.clients[role] = _session_client(users[role])
        else:
            world.clients[role] = _verified(users[role])
    session = world.clients["mediator_mandate"].session
    session[ASSISTED_SESSION_KEY] = mandate.pk
    session.save()

    world.users = users
    world.objects = {
        "dossier": dossier, "draft": draft, "attachment": dossier.attachments.order_by("pk").first(),
        "booking": booking, "desk": desk, "rule": rule, "report": report, "public_report": public_report,
        "invitation": invitation, "document": document, "message": message, "mandate": mandate,
        "visit": visit, "export": export, "anomaly": AnomalyFactory(), "site": site,
        "staff": users["agent"], "totp_device": users["agent"].totpdevice_set.get(),
        "draft_attachment": draft_attachment, "api_token": api_token,
    }
    return world


def url_kwargs(name: str, route_kwargs: list[str], world: World) -> dict[str, Any]:
    """The URL arguments of the route ``name``, from the world's objects."""
    o = world.objects
    namespace = name.split(":")[0] if ":" in name else ""
    by_route: dict[str, dict[str, Any]] = {
        "applications:step": {"pk": o["draft"].pk, "step": "identity"},
        "applications:abandon": {"pk": o["draft"].pk},
        "applications:upload": {"pk": o["draft"].pk,
                                "type_pk": o["draft"].procedure.requirements.first().document_type_id},
        "applications:amend": {"pk": o["dossier"].pk, "section": "identity", "field": "last_name"},
        "applications:start": {"code": "renouvellement-salarie"},
        "accounts:mandate_revoke": {"pk": o["mandate"].pk},
        "accounts:api_token_revoke": {"pk": o["api_token"].pk},
        # The API: the applicant's own draft (its attachment, its first step), filed dossier, document
        # and booking; the agents' endpoints on the Rhône's filed dossier.
        "api:dossier": {"pk": o["dossier"].pk},
        "api:dossier-timeline": {"pk": o["dossier"].pk},
        "api:dossier-complements": {"pk": o["dossier"].pk},
        "api:dossier-step": {"pk": o["draft"].pk, "step": "eligibility"},
        "api:dossier-attachments": {"pk": o["draft"].pk},
        "api:dossier-attachment": {"pk": o["draft"].pk, "attachment_pk": o["draft_attachment"].pk},
        "api:dossier-submit": {"pk": o["draft"].pk},
        "api:document-pdf": {"pk": o["document"].pk},
        "backoffice:assisted_session_start": {"pk": o["mandate"].pk},
        "backoffice:second_factor_unblock": {"pk": o["staff"].pk},
        "backoffice:person_account_created": {"pk": world.users["applicant_no_email"].pk},
        "backoffice:welcome_letter_print": {"pk": world.users["applicant_no_email"].pk},
        "backoffice_reports:export_download": {"pk": o["export"].pk},
        "appointments_backoffice:mark": {"pk": o["booking"].pk},
        "appointments_backoffice:reconvoke": {"pk": o["booking"].pk},
        "appointments_backoffice:day": {"desk": o["desk"].pk, "day": timezone.localdate()},
        "appointments_backoffice:rule_delete": {"desk": o["desk"].pk, "rule": o["rule"].pk},
        "appointments:book": {"motive": "pan_assistance"},
        "appointments:offer_accept": {"pk": MISSING},
        "appointments:offer_decline": {"pk": MISSING},
        # A user that exists whatever the sequences say (the whole suite leaves pk 1 long gone).
        "admin:accounts_user_change": {"object_id": str(world.users["applicant"].pk)},
        "documents:download": {"pk": o["document"].pk},
        "documents:verify_token": {"token": "not-a-token"},
        "notifications:detail": {"pk": o["message"].pk},
        "mediation_backoffice:visit": {"pk": o["visit"].pk},
        "mediation_backoffice:visit_account": {"pk": o["visit"].pk},
        "mediation_backoffice:today": {"site_id": o["site"].pk},
        "mediation_backoffice:day": {"site_id": o["site"].pk, "day": timezone.localdate().isoformat()},
        "substitution_backoffice:intake": {"pk": o["invitation"].pk},
        "substitution_backoffice:intake_registered": {"pk": o["invitation"].pk},
        "substitution:follow_letter": {"reference": o["invitation"].report.reference, "secret": REPORT_SECRET,
                                       "pk": MISSING},
        "helpcentre:article": {"slug": _article_slug()},
        "helpcentre:feedback": {"slug": _article_slug()},
        "helpcentre:step": {"procedure": "renouvellement-salarie", "step": "identity"},
        "helpcentre:error": {"code": "accept_late"},
        "helpcentre:error_at_step": {"code": "accept_late", "procedure": "renouvellement-salarie",
                                     "step": "identity"},
        "accounts:verify_email": {"uidb64": "MQ", "token": "not-a-token"},
        "accounts:password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
    }
    if name in by_route:
        return by_route[name]
    by_namespace: dict[str, dict[str, Any]] = {
        "applications": {"pk": o["dossier"].pk, "attachment_pk": o["attachment"].pk},
        "backoffice_instruction": {"pk": o["dossier"].pk, "attachment_pk": o["attachment"].pk},
        "appointments": {"pk": o["booking"].pk},
        "appointments_backoffice": {"desk": o["desk"].pk},
        "substitution": {"reference": o["public_report"].reference, "secret": REPORT_SECRET, "pk": MISSING},
        "substitution_backoffice": {"reference": o["report"].reference, "pk": o["anomaly"].pk},
        "letters_backoffice": {"pk": MISSING},
        "api": {"pk": o["booking"].pk if name.startswith("api:appointment") else o["dossier"].pk},
        "admin": {"object_id": "1", "content_type_id": "1", "pk": o["totp_device"].pk, "id": o["staff"].pk,
                  "revision_pk": MISSING, "app_label": "accounts"},
    }
    values = by_namespace.get(namespace, {})
    if name.startswith("substitution:mine"):
        values = {"reference": o["report"].reference, "pk": MISSING}
    if name.startswith("substitution_backoffice:") and "evidence" in name:
        values = {"reference": o["report"].reference, "pk": MISSING}
    unknown = [arg for arg in route_kwargs if arg not in values]
    if unknown:
        raise LookupError(
            f"The matrix does not know which object to give route {name!r} for {unknown}: add it to "
            f"url_kwargs() in tests/security/matrix_world.py (a real object from the factories).")
    return {arg: values[arg] for arg in route_kwargs}


def _article_slug() -> str:
    from helpcentre.models import Article

    return Article.objects.order_by("pk").values_list("slug", flat=True).first() or "missing"
