"""The prefecture statistics page: figures on a known dataset, scope and access."""

from datetime import timedelta
from itertools import count

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Role
from applications.backoffice.selectors.statistics import percentile_cont, prefecture_statistics
from applications.clock import priority_for
from documents.models import DocumentKind, IssuedDocument
from tests.factories import (
    PASSWORD,
    DossierFactory,
    StaffFactory,
    UserFactory,
    prefecture,
    procedure,
    totp_code,
)

pytestmark = pytest.mark.django_db

STATISTICS = reverse("backoffice_reports:statistics")
FIRST = "premiere-demande-salarie"
RENEWAL = "renouvellement-salarie"
_numbers = count()


def sign_in(client, user):
    """A staff session with its second factor verified, as after the code page."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    client.get(STATISTICS)  # the first request of a session also stores its limits


def filed(*, status="submitted", code="69", kind=RENEWAL, **fields):
    """A filed dossier with its stored queue priority, as the services and the daily sweep keep it."""
    dossier = DossierFactory(status=status, prefecture=prefecture(code), procedure=procedure(kind), **fields)
    dossier.priority, dossier.priority_date = priority_for(dossier, timezone.localdate())
    dossier.save(update_fields=["priority", "priority_date"])
    return dossier


def decided(*, days: float, code="69", kind=FIRST, deadline_days: int | None = 0, ago=5,
            status="decided_favourable"):
    """A dossier decided ``ago`` days ago, ``days`` after its filing; its legal deadline is the
    target (90 or 30 days) plus ``deadline_days`` of pauses, or None (filed before the clock)."""
    decided_at = timezone.now() - timedelta(days=ago)
    submitted_at = decided_at - timedelta(days=days)
    deadline = None
    if deadline_days is not None:
        target = 30 if kind == RENEWAL else 90
        deadline = timezone.localdate(submitted_at) + timedelta(days=target + deadline_days)
    return filed(status=status, code=code, kind=kind, submitted_at=submitted_at, decided_at=decided_at,
                 legal_deadline=deadline)


def certificate(dossier, kind, days_ago):
    n = next(_numbers)
    return IssuedDocument.objects.create(
        kind=kind, number=f"ANEF-T-{n:08d}", verification_code=f"CODE{n:06d}", holder=dossier.applicant,
        holder_name="Awa Ndiaye", subject_type="applications.dossier", subject_id=str(dossier.pk),
        template="documents/pdf/filing_receipt.html", issued_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def dataset():
    today = timezone.localdate()
    # Processing times, first requests and others (target 90 days): 10, 20, 30, 40, 100 days, and
    # 50 days for a file without a legal deadline (measured against the raw target).
    for days in (10, 20, 30, 40, 100):
        decided(days=days)
    decided(days=50, deadline_days=None, status="card_delivered")
    # Renewals (target 30 days): 20 and 50 days, and 40 days for one whose clock was paused 15 days.
    decided(days=20, kind=RENEWAL, status="decided_unfavourable")
    decided(days=50, kind=RENEWAL)
    decided(days=40, kind=RENEWAL, deadline_days=15, status="closed_without_action")
    # Not counted: decided more than 12 months ago; another prefecture's.
    decided(days=5, ago=400)
    decided(days=300, code="75")
    # The queue: a renewal whose permit ends in 10 days with no certificate (rights at risk), an
    # overdue file, an overdue one whose clock is paused (not overdue), a recent one, a draft.
    at_risk = filed(permit_expires_on=today + timedelta(days=10), legal_deadline=today + timedelta(days=20))
    filed(status="under_review", kind=FIRST, legal_deadline=today - timedelta(days=3))
    filed(status="complements_requested", legal_deadline=today - timedelta(days=3), clock_paused_on=today)
    recent = filed(kind=FIRST, legal_deadline=today + timedelta(days=80))
    DossierFactory(status="draft", prefecture=prefecture("69"))
    filed(code="75", permit_expires_on=today + timedelta(days=1))  # at risk, but elsewhere
    # Certificates of the last 30 days for the prefecture's dossiers; older, elsewhere or other kinds are not.
    certificate(at_risk, DocumentKind.EXTENSION_CERTIFICATE, 3)
    certificate(at_risk, DocumentKind.EXTENSION_CERTIFICATE, 40)
    certificate(recent, DocumentKind.FAVOURABLE_DECISION, 10)
    certificate(recent, DocumentKind.FILING_RECEIPT, 1)
    elsewhere = filed(code="75")
    certificate(elsewhere, DocumentKind.EXTENSION_CERTIFICATE, 1)


def test_percentiles_interpolate_like_postgresql():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([40.0, 10.0, 30.0, 20.0], 0.5) == 25.0
    assert percentile_cont([10.0, 20.0, 30.0, 40.0, 50.0, 100.0], 0.9) == pytest.approx(75.0)


def test_figures_of_a_known_dataset(dataset):
    agent = StaffFactory()
    stats = prefecture_statistics(user=agent, prefecture_id=prefecture("69").pk)

    first, renewal = stats.processing
    assert (first.is_renewal, first.target_days, first.decided) == (False, 90, 6)
    assert first.p50_days == pytest.approx(35.0)  # 10 20 30 | 40 50 100
    assert first.p90_days == pytest.approx(75.0)  # 50 + 0.5 x (100 - 50)
    assert first.within_target == 5  # all but the 100-day one
    assert first.within_target_share == pytest.approx(100 * 5 / 6)
    assert (renewal.is_renewal, renewal.target_days, renewal.decided) == (True, 30, 3)
    assert renewal.p50_days == pytest.approx(40.0)
    assert renewal.p90_days == pytest.approx(48.0)  # 40 + 0.8 x (50 - 40)
    assert renewal.within_target == 2  # 20 days, and 40 days within a deadline pushed back 15 days

    assert stats.at_risk == 1
    assert stats.overdue == 1
    by_status = {v.status: v.count for v in stats.by_status}
    assert by_status == {"submitted": 2, "under_review": 1, "complements_requested": 1,
                         "decided_favourable": 7, "decided_unfavourable": 1, "closed_without_action": 1,
                         "card_delivered": 1}
    assert stats.total == 14 and stats.in_queue == 11  # a favourable decision waits for its card
    by_procedure = {v.name: v for v in stats.by_procedure}
    first_requests = by_procedure[procedure(FIRST).name]
    assert (first_requests.in_queue, first_requests.filed_12_months, first_requests.decided_12_months) == (8, 8, 6)
    renewals = by_procedure[procedure(RENEWAL).name]
    assert (renewals.in_queue, renewals.filed_12_months, renewals.decided_12_months) == (3, 5, 3)
    assert stats.certificates == {"extension_certificate": 1, "favourable_decision": 1}


def test_no_decision_yet_shows_dashes(client):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    page = client.get(STATISTICS).content.decode()
    stats = prefecture_statistics(user=agent, prefecture_id=prefecture("69").pk)
    assert [p.decided for p in stats.processing] == [0, 0]
    assert stats.processing[0].within_target_share is None
    assert "Aucun dossier déposé dans cette préfecture." in page


def test_the_page_shows_the_figures_in_accessible_tables(client, dataset):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    response = client.get(STATISTICS)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    assert "Statistiques – " + prefecture("69").name in page
    assert '<p class="fr-callout__title" id="stat-at-risk">1</p>' in page
    assert '<p class="fr-callout__title" id="stat-overdue">1</p>' in page
    assert "<caption>" in page and '<th scope="row">Renouvellements</th>' in page
    assert "35,0" in page and "75,0" in page and "83 %" in page  # French number format
    assert 'name="prefecture"' not in page  # one prefecture: no selector
    assert f'href="{reverse("backoffice_instruction:queue")}?deadline=at_risk"' in page


def test_the_query_count_does_not_grow_with_the_data(client, dataset):
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    with CaptureQueriesContext(connection) as few:
        assert client.get(STATISTICS).status_code == 200
    for days in range(1, 30):
        decided(days=days, kind=FIRST if days % 2 else RENEWAL)
        filed(status="under_review", kind="premiere-demande-etudiant")
    with CaptureQueriesContext(connection) as many:
        assert client.get(STATISTICS).status_code == 200
    assert len(many) == len(few)


def test_an_agent_sees_only_their_prefecture(client, dataset):
    lyon, paris = prefecture("69"), prefecture("75")
    agent = StaffFactory(with_totp=True, role__code="75")
    with pytest.raises(PermissionDenied):
        prefecture_statistics(user=agent, prefecture_id=lyon.pk)

    sign_in(client, agent)
    page = client.get(STATISTICS, {"prefecture": lyon.pk}).content.decode()  # not theirs: ignored
    assert "Statistiques – " + paris.name in page
    stats = prefecture_statistics(user=agent, prefecture_id=paris.pk)
    assert stats.at_risk == 1 and stats.processing[0].decided == 1
    assert stats.certificates == {"extension_certificate": 1}


def test_a_supervisor_of_several_prefectures_chooses_one(client, dataset):
    supervisor = StaffFactory(with_totp=True, supervisor=True)
    Membership.objects.create(user=supervisor, role=Role.AGENT, prefecture=prefecture("75"))
    sign_in(client, supervisor)
    page = client.get(STATISTICS).content.decode()
    assert '<select class="fr-select" id="prefecture" name="prefecture">' in page
    assert "Statistiques – " + prefecture("69").name in page  # the first by département code
    page = client.get(STATISTICS, {"prefecture": prefecture("75").pk}).content.decode()
    assert "Statistiques – " + prefecture("75").name in page


def test_the_page_opens_after_the_password_and_the_code(client):
    agent = StaffFactory(with_totp=True)
    client.post(reverse("accounts:login"), {"username": agent.email, "password": PASSWORD})
    assert client.get(STATISTICS).status_code == 302  # the code is still to be given
    client.post(reverse("accounts:totp_verify"), {"code": totp_code()})
    assert client.get(STATISTICS).status_code == 200


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.SUPPORT])
def test_staff_without_a_prefecture_role_are_refused(client, role):
    sign_in(client, StaffFactory(with_totp=True, role=role))
    assert client.get(STATISTICS).status_code == 403


def test_applicants_are_refused(client):
    client.force_login(UserFactory())
    assert client.get(STATISTICS).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(STATISTICS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


#: The page's figures as its template wrote them before issue 17 (applications.backoffice.statistics_cells).
FIGURES_TEMPLATE = """{% load i18n humanize %}\
{% blocktranslate with name=stats.prefecture.name %}Statistiques – {{ name }}{% endblocktranslate %}|\
{% blocktranslate with date=stats.today|date:"j F Y" %}Chiffres au {{ date }}.{% endblocktranslate %}|\
{{ stats.at_risk|intcomma }}|{{ stats.overdue|intcomma }}|{{ stats.in_queue|intcomma }}|\
  {% for row in stats.processing %}
    <tr>
      <th scope="row">{{ row.label }}</th>
      <td>{{ row.decided|intcomma }}</td>
      <td>{% if row.p50_days is None %}–{% else %}{{ row.p50_days|floatformat:1 }}{% endif %}</td>
      <td>{% if row.p90_days is None %}–{% else %}{{ row.p90_days|floatformat:1 }}{% endif %}</td>
      <td>{{ row.target_days }}</td>
      <td>{% if row.within_target_share is None %}–{% else %}{{ row.within_target_share|floatformat:0 }} % ({{ row.within_target|intcomma }}){% endif %}</td>
    </tr>
  {% endfor %}|{% for row in stats.by_status %}
    <tr><th scope="row">{{ row.label }}</th><td>{{ row.count|intcomma }}</td></tr>
  {% endfor %}|{{ stats.total|intcomma }}|{% for row in stats.by_procedure %}
    <tr><th scope="row">{{ row.name }}</th><td>{{ row.in_queue|intcomma }}</td><td>{{ row.filed_12_months|intcomma }}</td><td>{{ row.decided_12_months|intcomma }}</td></tr>
  {% endfor %}|{% for label, count in stats.certificates_rows %}
    <tr><th scope="row">{{ label }}</th><td>{{ count|intcomma }}</td></tr>
  {% endfor %}"""  # noqa: E501


def written(stats) -> str:
    from applications.backoffice.statistics_cells import statistics_cells, statistics_day, statistics_heading

    cells = statistics_cells(stats)
    return "|".join([statistics_heading(stats), statistics_day(stats), cells["at_risk"], cells["overdue"],
                     cells["in_queue"], "  " + cells["processing"], cells["by_status"], cells["total"],
                     cells["by_procedure"], cells["certificates"]])


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_figures_are_written_as_the_template_wrote_them(dataset, language):
    """Issue 17: the figures are put into words in Python, the rest of the page once per language;
    each value as ``intcomma``, ``floatformat`` and the translation tags wrote it, every text escaped,
    thousands grouped as the language groups them."""
    from dataclasses import replace

    from django.template import engines
    from django.utils import translation

    from applications.backoffice.selectors.statistics import ProcedureVolume

    template = engines["django"].from_string(FIGURES_TEMPLATE)
    with translation.override(language):
        stats = prefecture_statistics(user=StaffFactory(), prefecture_id=prefecture("69").pk)
        large = replace(stats, at_risk=1234, overdue=12_345_678, by_procedure=[
            *stats.by_procedure, ProcedureVolume(0, "Démarche <d'essai> & co", 1000, 25_000, 999_999)])
        large.prefecture.name = "Préfecture <du> Rhône & d'ailleurs"
        for figures in (stats, large):
            assert written(figures) == template.render({"stats": figures})
        assert ("1\xa0234" if language == "fr" else "1,234") in written(large)  # a non-breaking space
        assert "&lt;d&#x27;essai&gt; &amp; co" in written(large)


def test_the_procedures_are_named_in_the_readers_language(client, dataset):
    """Issue 17: the procedures' names come from the catalogue in the reader's language (the join
    read the untranslated column: English readers saw the French names)."""
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    client.cookies["anef_language"] = "en"
    page = client.get(STATISTICS).content.decode()
    english = procedure(FIRST).name_en
    assert english and english != procedure(FIRST).name_fr
    assert f'<th scope="row">{english}</th>' in page


def test_a_certificate_whose_subject_is_not_a_number_is_ignored(dataset):
    """The certificates are matched to the prefecture's dossiers by primary key, the subject's text
    read as a number only when it is one: another text matches nothing rather than failing."""
    dossier = filed()
    document = certificate(dossier, DocumentKind.EXTENSION_CERTIFICATE, 2)
    IssuedDocument.objects.filter(pk=document.pk).update(subject_id=f"x{dossier.pk}")
    stats = prefecture_statistics(user=StaffFactory(), prefecture_id=prefecture("69").pk)
    assert stats.certificates == {"extension_certificate": 1, "favourable_decision": 1}


def test_the_decided_statuses_are_written_into_the_processing_sql(dataset):
    """The processing times' statuses are constants in their SQL, not parameters: the prepared
    statement's generic plan then reads the index on (prefecture, status) for them alone (with
    parameters it read every dossier of the prefecture). The figures stay those of the dataset
    (``test_figures_of_a_known_dataset``)."""
    from applications.backoffice.selectors.statistics import DECIDED_STATUSES

    statements: list[str] = []

    def sent(execute, sql, params, many, context):  # the SQL as sent, its parameters apart
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(sent):
        prefecture_statistics(user=StaffFactory(), prefecture_id=prefecture("69").pk)
    processing = next(sql for sql in statements if '"submitted_at" IS NOT NULL' in sql)
    listed = ", ".join(f"'{status.value}'" for status in DECIDED_STATUSES)
    assert f'"applications_dossier"."status" IN ({listed})' in processing


@pytest.mark.parametrize("values", [(), ("decided'); DROP TABLE x; --",), ("Decided",)])
def test_only_plain_constants_are_written_into_sql(values):
    from django.db.models import F

    from applications.backoffice.selectors.statistics import InConstants

    with pytest.raises(ValueError, match="constants"):
        InConstants(F("status"), values)
