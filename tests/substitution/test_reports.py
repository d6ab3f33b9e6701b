"""The person's side: reporting with or without an account, the follow link, reopening."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from substitution import services
from substitution.models import BlockingReport, ReportEvent
from substitution.origin import origin_sign
from substitution.workflow import TransitionNotAllowed
from tests.applications.helpers import pdf_file
from tests.factories import REPORT_SECRET, BlockingReportFactory, StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db

REPORT = reverse("substitution:report")


def anonymous_post(**changes):
    data = {"kind": "account_creation", "procedure": "", "tried": "Le code de confirmation n'arrive jamais.",
            "first_name": "Moussa", "last_name": "Traoré", "phone": "", "email": "moussa@example.org",
            "address": "", "postal_code": "69003", "city": "", "language": "fr"}
    data.update(changes)
    return data


def test_a_person_without_an_account_reports_and_gets_a_reference_deadline_and_a_secret_link(client, settings):
    settings.SUBSTITUTION_REASONABLE_DELAY_DAYS = 15
    with time_machine.travel("2026-03-02 22:30 +01:00", tick=False):
        response = client.post(REPORT, anonymous_post())
        report = BlockingReport.objects.get()
        assert response.status_code == 302
        assert report.reference == "SIG-2026-000001"
        assert report.person is None and report.channel == "online"
        assert report.prefecture.department.code == "69"
        assert report.deadline == date(2026, 3, 17)  # the opening day in Paris + 15
        assert report.events.get().kind == ReportEvent.Kind.OPENED

        page = client.get(response["Location"])
        text = page.content.decode()
        assert "SIG-2026-000001" in text
        assert "Nous vous répondrons au plus tard le mardi 17 mars 2026." in text
        follow_url = page.context["follow_url"]
        secret = follow_url.rstrip("/").rsplit("/", 1)[-1]
        assert report.secret_hash and secret not in report.secret_hash  # only a hash is stored
        # Shown once: the same page again has no link and is a 404 for someone without the account.
        assert client.get(response["Location"]).status_code == 404

    status = client.get(follow_url)
    assert status.status_code == 200
    assert "Ouvert" in status.content.decode()


def test_deadline_counts_from_the_paris_day_and_the_setting(settings):
    settings.SUBSTITUTION_REASONABLE_DELAY_DAYS = 10
    # 23:30 UTC on 31 March is already 1 April in Paris.
    with time_machine.travel("2026-03-31 23:30 +00:00", tick=False):
        opened = services.report_open(
            channel="online", prefecture=prefecture("69"), contact=services.Contact(last_name="X", phone="0612345678"),
            blockage=services.Blockage(kind="other"))
    assert opened.report.deadline == date(2026, 4, 11)


def test_references_follow_each_other_within_the_year():
    contact = services.Contact(last_name="X", phone="0612345678")
    refs = [services.report_open(channel="online", prefecture=prefecture("69"), contact=contact,
                                 blockage=services.Blockage(kind="other")).report.reference for _ in range(3)]
    year = timezone.localdate().year
    assert refs == [f"SIG-{year}-000001", f"SIG-{year}-000002", f"SIG-{year}-000003"]


def test_without_an_account_at_least_one_way_to_reach_the_person_is_required(client):
    response = client.post(REPORT, anonymous_post(email="", phone="", address="3 rue Garibaldi", city=""))
    assert response.status_code == 200
    assert "Indiquez au moins un moyen de vous joindre" in response.content.decode()
    assert response.context["form"]["address"].value() == "3 rue Garibaldi"  # what was typed is kept
    assert not BlockingReport.objects.exists()
    # A full postal address is enough.
    response = client.post(REPORT, anonymous_post(email="", address="3 rue Garibaldi", city="Lyon"))
    assert response.status_code == 302


def test_the_database_refuses_a_report_nobody_can_answer():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        BlockingReportFactory(phone="", email="", address="")


def test_the_service_refuses_an_unreachable_person_too():
    with pytest.raises(ValidationError):
        services.report_open(channel="online", prefecture=prefecture("69"), contact=services.Contact(last_name="X"),
                             blockage=services.Blockage(kind="other"))


@pytest.mark.parametrize(("postcode", "code"), [("20090", "2A"), ("20290", "2B"), ("97230", "972")])
def test_the_competent_prefecture_comes_from_the_postcode(client, postcode, code):
    assert client.post(REPORT, anonymous_post(postal_code=postcode)).status_code == 302
    assert BlockingReport.objects.get().prefecture.department.code == code


def test_an_unknown_postcode_is_refused_with_a_message(client):
    response = client.post(REPORT, anonymous_post(postal_code="00000"))
    assert "Ce code postal ne correspond à aucune préfecture" in response.content.decode()


def test_a_signed_in_applicant_reports_with_the_page_and_the_error_attached(client):
    from territory.models import Department

    user = UserFactory(phone="06 11 22 33 44", department=Department.objects.get(code="33"))
    client.force_login(user)
    token = origin_sign(error_code="tax_stamp:invalid", error_message="Ce timbre fiscal n'est pas valide.")
    page = client.get(REPORT, {"origine": token}, HTTP_REFERER="http://testserver/dossiers/12/etape/payment/")
    text = page.content.decode()
    assert "/dossiers/12/etape/payment/" in text and "Ce timbre fiscal n&#x27;est pas valide." in text
    assert "last_name" not in page.context["form"].fields  # no contact details to type

    response = client.post(REPORT, {"kind": "payment", "procedure": "", "tried": "", "origin": token,
                                    "page": "/dossiers/12/etape/payment/"})
    assert response.status_code == 302
    report = BlockingReport.objects.get()
    assert report.person == user and not report.secret_hash
    assert report.prefecture.department.code == "33"  # their own competent prefecture
    assert (report.page_url, report.error_code) == ("/dossiers/12/etape/payment/", "tax_stamp:invalid")
    assert report.error_message == "Ce timbre fiscal n'est pas valide."
    assert report.phone == "06 11 22 33 44"
    assert "SIG-" in client.get(response["Location"]).content.decode()


def test_a_forged_error_token_is_ignored(client):
    client.force_login(UserFactory())
    client.post(REPORT, {"kind": "other", "origin": "forged:token", "postal_code": "69003"})
    assert BlockingReport.objects.get().error_message == ""


def test_a_page_from_another_site_is_not_kept(client):
    client.force_login(UserFactory())
    page = client.get(REPORT, HTTP_REFERER="https://evil.example/phish")
    assert page.context["page_url"] == ""


def test_every_form_error_summary_offers_to_report_with_the_error(client):
    response = client.post(reverse("accounts:sign_up"), {"email": "not-an-address"})
    text = response.content.decode()
    assert "Vous n'y arrivez pas ?" in text and f'href="{REPORT}?origine=' in text


def test_the_footer_and_the_help_page_link_to_the_report_form(client):
    assert f'href="{REPORT}"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("help")).content.decode().count(f'href="{REPORT}"') >= 2


def test_evidence_goes_through_the_upload_checks(client):
    fake = SimpleUploadedFile("capture.png", b"MZ\x90\x00 this is an executable", content_type="image/png")
    response = client.post(REPORT, {**anonymous_post(), "evidence": [pdf_file("ecran.pdf"), fake]})
    text = response.content.decode()
    assert response.status_code == 200
    assert "« capture.png » : Le contenu de ce fichier ne correspond pas à un PDF, un JPEG ou un PNG." in text
    assert "choisissez-les à nouveau" in text
    assert not BlockingReport.objects.exists()

    response = client.post(REPORT, {**anonymous_post(), "evidence": [pdf_file("ecran.pdf")]})
    assert response.status_code == 302
    item = BlockingReport.objects.get().evidence.get()
    assert item.original_name == "ecran.pdf" and item.content_type == "application/pdf"
    assert item.file.name.startswith(f"reports/{item.report_id}/")


def test_the_follow_link_works_only_with_the_right_secret(client):
    report = BlockingReportFactory()
    assert client.get(reverse("substitution:follow", args=[report.reference, REPORT_SECRET])
                      ).status_code == 200
    assert client.get(reverse("substitution:follow", args=[report.reference, "wrong-secret"])).status_code == 404
    other = BlockingReportFactory()
    assert client.get(reverse("substitution:follow", args=[other.reference + "0", REPORT_SECRET])
                      ).status_code == 404
    owned = BlockingReportFactory(with_account=True)  # no secret: no follow link works
    assert client.get(reverse("substitution:follow", args=[owned.reference, "x"])).status_code == 404


def test_evidence_is_downloadable_by_the_person_through_the_secret_link_only(client):
    contact = services.Contact(last_name="X", phone="0612345678")
    opened = services.report_open(channel="online", prefecture=prefecture("69"), contact=contact,
                                  blockage=services.Blockage(kind="other", files=[pdf_file()]))
    item = opened.report.evidence.get()
    url = reverse("substitution:follow_evidence", args=[opened.report.reference, opened.secret, item.pk])
    served = client.get(url)
    assert served.status_code == 200
    # Served as the dossiers' pieces are: sandboxed, never cached, never framed, under our own name.
    policy = served["Content-Security-Policy"]
    assert "sandbox" in policy and "frame-ancestors 'none'" in policy
    assert served["X-Frame-Options"] == "DENY" and served["Cache-Control"] == "private, no-store"
    assert served["Content-Disposition"] == f'inline; filename="piece-{item.pk}.pdf"'
    bad = reverse("substitution:follow_evidence", args=[opened.report.reference, "nope", item.pk])
    assert client.get(bad).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("substitution:mine_evidence", args=[opened.report.reference, item.pk])
                      ).status_code == 404


def test_the_person_reopens_an_answered_report_through_the_secret_link(client):
    report = BlockingReportFactory(answered=True)
    url = reverse("substitution:follow_reopen", args=[report.reference, REPORT_SECRET])
    client.post(url, {"text": "Toujours le même message."})
    report.refresh_from_db()
    assert report.status == "open"
    assert report.events.get().kind == ReportEvent.Kind.REOPENED


def test_reopen_refused_with_a_wrong_secret_or_by_someone_else():
    report = BlockingReportFactory(resolved=True)
    with pytest.raises(PermissionDenied):
        services.report_reopen(report=report, by=None, secret="wrong")
    with pytest.raises(PermissionDenied):
        services.report_reopen(report=report, by=StaffFactory(support=True), secret="")
    owned = BlockingReportFactory(with_account=True, answered=True)
    with pytest.raises(PermissionDenied):
        services.report_reopen(report=owned, by=UserFactory())
    services.report_reopen(report=owned, by=owned.person)
    owned.refresh_from_db()
    assert owned.status == "open"


def test_an_open_report_cannot_be_reopened():
    report = BlockingReportFactory()
    with pytest.raises(TransitionNotAllowed):
        services.report_reopen(report=report, by=None, secret=REPORT_SECRET)


def test_the_owner_follows_from_their_space_and_others_get_404(client):
    report = BlockingReportFactory(with_account=True, answered=True)
    ReportEvent.objects.create(report=report, kind="answered", text="Videz le cache de votre navigateur.")
    client.force_login(report.person)
    assert report.reference in client.get(reverse("substitution:mine")).content.decode()
    page = client.get(reverse("substitution:mine_detail", args=[report.reference]))
    assert "Videz le cache de votre navigateur." in page.content.decode()
    assert "Ça ne marche toujours pas" in page.content.decode()
    client.post(reverse("substitution:mine_reopen", args=[report.reference]))
    report.refresh_from_db()
    assert report.status == "open"

    client.force_login(UserFactory())
    assert client.get(reverse("substitution:mine_detail", args=[report.reference])).status_code == 404
    assert client.post(reverse("substitution:mine_reopen", args=[report.reference])).status_code == 404
    client.logout()
    assert client.get(reverse("substitution:mine_detail", args=[report.reference])).status_code == 302


def test_anonymous_reports_are_rate_limited_per_address(client):
    from substitution.views.reports import ANONYMOUS_REPORTS_PER_HOUR

    for _ in range(ANONYMOUS_REPORTS_PER_HOUR):
        assert client.post(REPORT, anonymous_post()).status_code == 302
    response = client.post(REPORT, anonymous_post())
    assert response.status_code == 429
    assert BlockingReport.objects.count() == ANONYMOUS_REPORTS_PER_HOUR
    assert client.post(REPORT, anonymous_post(), REMOTE_ADDR="10.0.0.9").status_code == 302


def test_an_answer_to_a_person_with_an_account_goes_to_the_outbox_once_per_answer(ccc):
    report = BlockingReportFactory(with_account=True)
    services.report_answer(report=report, by=ccc, text="Essayez avec un autre navigateur.")
    services.report_answer(report=report, by=ccc, text="Le correctif est en ligne.", resolved=True)
    mails = Notification.objects.filter(recipient=report.person, event="report.answered", channel="email")
    assert mails.count() == 2
    assert "Essayez avec un autre navigateur." in mails.order_by("id").first().body


def test_deadline_days_later_in_words_on_the_status_page(client):
    report = BlockingReportFactory(deadline=timezone.localdate() + timedelta(days=3))
    page = client.get(reverse("substitution:follow", args=[report.reference, REPORT_SECRET]))
    assert "Nous vous répondrons au plus tard le" in page.content.decode()
