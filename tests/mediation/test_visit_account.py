"""From a visit to an account and a mandate (issue 12): the visitor's account is made from the
visit, prefilled from it (through the session, never the URL) and linked to it on the way back;
then "Agir pour le compte de cette personne" leads to the mandate and the assisted session, and
"Terminer" back to the visit."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.mandates import ASSISTED_SESSION_KEY
from accounts.models import AuditEvent, User
from accounts.services import mandate_consent_code_issue, mandate_grant_by_code
from mediation import services
from mediation.models import Visit
from tests.factories import StaffFactory, UserFactory
from tests.mediation.helpers import visit

pytestmark = pytest.mark.django_db


def walk_in(mediator, pan):
    return services.visit_check_in(by=mediator, site=pan, need="create_account", visitor=services.Visitor(
        first_name="Fatou", last_name="Sow", phone="06 12 34 56 78"))


# --- The service ------------------------------------------------------------------------------------

def test_an_account_made_during_a_visit_becomes_its_visitor(mediator, pan):
    made = walk_in(mediator, pan)
    person = UserFactory(without_email=True, first_name="Fatou", last_name="Sow")
    linked = services.visit_link_person(visit=made, by=mediator, person=person)
    assert linked.person == person and (linked.first_name, linked.last_name, linked.phone) == ("", "", "")
    assert Visit.objects.get().visitor_name == "Fatou SOW"
    event = AuditEvent.objects.get(action="mediation.visit_person_linked")
    assert (event.actor, event.on_behalf_of, event.object_id) == (mediator, person, str(made.pk))
    assert event.data["before"] == {"first_name": "Fatou", "last_name": "Sow", "phone": "06 12 34 56 78"}


def test_a_visit_with_an_account_is_never_given_another(mediator, pan):
    first = UserFactory()
    made = visit(by=mediator, site=pan, person=first)
    with pytest.raises(ValidationError, match="déjà rattachée"):
        services.visit_link_person(visit=made, by=mediator, person=UserFactory())
    assert Visit.objects.get().person == first


def test_an_ended_visit_is_not_linked(mediator, pan):
    made = visit(by=mediator, site=pan, minutes=10)
    with pytest.raises(ValidationError, match="terminée"):
        services.visit_link_person(visit=made, by=mediator, person=UserFactory())
    assert Visit.objects.get().person is None


def test_only_an_applicants_account_is_linked(mediator, pan):
    made = walk_in(mediator, pan)
    with pytest.raises(ValidationError, match="usager"):
        services.visit_link_person(visit=made, by=mediator, person=StaffFactory())


def test_only_a_mediator_of_the_pan_links_an_account(mediator, other_mediator, pan):
    made = walk_in(mediator, pan)
    with pytest.raises(PermissionDenied):
        services.visit_link_person(visit=made, by=other_mediator, person=UserFactory())
    assert not AuditEvent.objects.filter(action="mediation.visit_person_linked").exists()


# --- The pages --------------------------------------------------------------------------------------

def test_create_an_account_from_the_visit_and_come_back_with_it(staff_client, mediator, pan):
    client = staff_client(mediator)
    made = walk_in(mediator, pan)
    visit_url = reverse("mediation_backoffice:visit", args=[made.pk])
    assert "Créer un compte pour cette personne" in client.get(visit_url).content.decode()

    response = client.post(visit_url, {"action": "account", "need": "create_account",
                                       "help_given": "Compte créé avec elle."})
    assert response.status_code == 302 and response.url.startswith(reverse("backoffice:person_account_create"))
    assert "Sow" not in response.url and "06" not in response.url  # the prefill is in the session
    assert Visit.objects.get().help_given == "Compte créé avec elle."  # what was typed is saved
    form = client.get(response.url).content.decode()
    assert 'value="Fatou"' in form and 'value="Sow"' in form and 'value="06 12 34 56 78"' in form

    created = client.post(response.url, {"first_name": "Fatou", "last_name": "Sow", "birth_date": "1985-06-12",
                                         "phone": "06 12 34 56 78", "language": "fr"})
    person = User.objects.get(last_name="Sow")
    page = client.get(created.url).content.decode()
    back_url = reverse("mediation_backoffice:visit_account", args=[made.pk])
    assert f'action="{back_url}"' in page and "Revenir à la visite avec ce compte" in page

    back = client.post(back_url)
    assert back.status_code == 302 and back.url == visit_url
    assert Visit.objects.get().person == person
    page = client.get(visit_url).content.decode()
    assert person.login_id in page and "Agir pour le compte de cette personne" in page
    # Once taken, the account is not linked a second time (nor to another visit).
    other = walk_in(mediator, pan)
    client.post(reverse("mediation_backoffice:visit_account", args=[other.pk]))
    assert Visit.objects.get(pk=other.pk).person is None


def test_the_way_back_links_only_the_account_made_for_that_visit(staff_client, mediator, pan):
    client = staff_client(mediator)
    made, other = walk_in(mediator, pan), walk_in(mediator, pan)
    opened = client.post(reverse("mediation_backoffice:visit", args=[made.pk]),
                         {"action": "account", "need": "create_account"})
    client.post(opened.url, {
        "first_name": "Fatou", "last_name": "Sow", "birth_date": "1985-06-12", "phone": "0612345678",
        "language": "fr"})
    response = client.post(reverse("mediation_backoffice:visit_account", args=[other.pk]))
    assert response.status_code == 302
    assert Visit.objects.get(pk=other.pk).person is None and Visit.objects.get(pk=made.pk).person is None
    # A GET (the "without an account" link) only returns to the visit.
    assert client.get(reverse("mediation_backoffice:visit_account", args=[made.pk])).status_code == 302
    assert Visit.objects.get(pk=made.pk).person is None


def test_an_account_made_without_a_visit_offers_no_way_back(staff_client, mediator, pan):
    client = staff_client(mediator)
    # Even with a visit's prefill left in the session: the page opened afresh is blank.
    made = walk_in(mediator, pan)
    client.post(reverse("mediation_backoffice:visit", args=[made.pk]), {"action": "account", "need": "create_account"})
    assert 'value="Sow"' not in client.get(reverse("backoffice:person_account_create")).content.decode()
    created = client.post(reverse("backoffice:person_account_create"), {
        "first_name": "Fatou", "last_name": "Sow", "birth_date": "1985-06-12", "phone": "0612345678",
        "language": "fr"})
    assert "Revenir à la visite" not in client.get(created.url).content.decode()
    assert Visit.objects.get().person is None


def test_act_for_the_person_asks_the_mandate_then_opens_the_session_and_ends_on_the_visit(
        staff_client, mediator, pan):
    client = staff_client(mediator)
    person = UserFactory(without_email=True, first_name="Fatou", last_name="Sow")
    made = visit(by=mediator, site=pan, person=person)
    visit_url = reverse("mediation_backoffice:visit", args=[made.pk])

    response = client.post(visit_url, {"action": "act", "need": "file_request", "help_given": "Mandat reçu."})
    assert response.status_code == 302 and response.url.startswith(reverse("backoffice:mandate_receive_code"))
    receive_page = client.get(response.url).content.decode()
    assert f'value="{person.login_id}"' in receive_page
    token = response.url.split("depuis=")[1]
    assert f"formulaire-signe/?depuis={token}" in receive_page  # the signed form, prefilled too
    assert f'value="{person.login_id}"' in client.get(
        reverse("backoffice:mandate_receive_form") + f"?depuis={token}").content.decode()
    assert person.login_id not in client.get(reverse("backoffice:mandate_receive_code")).content.decode()
    code = mandate_consent_code_issue(person=person)
    granted = client.post(response.url, {"login_id": person.login_id, "code": code, "site": pan.pk,
                                         "scope": "account", "to_site": "me"})
    assert granted.status_code == 302 and granted.url == visit_url

    # Under the mandate, the same button saves what was typed and opens her space.
    assert "Elle vous a donné mandat jusqu'au" in client.get(visit_url).content.decode()
    started = client.post(visit_url, {"action": "act", "need": "file_request", "help_given": "Dossier déposé."})
    assert started.url == reverse("applications:dashboard")
    assert client.session[ASSISTED_SESSION_KEY] == person.mandates_given.get().pk
    assert Visit.objects.get().help_given == "Dossier déposé."
    assert AuditEvent.objects.filter(action="mandate.session_started", actor=mediator).count() == 1
    ended = client.post(reverse("backoffice:assisted_session_end"))
    assert ended.url == visit_url and ASSISTED_SESSION_KEY not in client.session


def test_a_session_opened_from_the_mandates_list_ends_on_that_list(staff_client, mediator, pan):
    client = staff_client(mediator)
    person = UserFactory(without_email=True)
    made = visit(by=mediator, site=pan, person=person)
    code = mandate_consent_code_issue(person=person)
    mandate = mandate_grant_by_code(by=mediator, site=pan, login_id=person.login_id, code=code)
    client.post(reverse("mediation_backoffice:visit", args=[made.pk]), {"action": "act", "need": "file_request"})
    client.post(reverse("backoffice:assisted_session_end"))
    # The way back of the visit's session is forgotten when a session opens from the list.
    client.post(reverse("backoffice:assisted_session_start", args=[mandate.pk]))
    assert client.post(reverse("backoffice:assisted_session_end")).url == reverse("backoffice:mandates")


def test_the_way_back_is_a_back_office_path(rf):
    from accounts.desk import back_url_safe

    request = rf.get("/")
    assert back_url_safe(request, "/backoffice/mediation/visites/1/") == "/backoffice/mediation/visites/1/"
    for url in ("https://evil.example/backoffice/", "//evil.example/backoffice/", "/compte/profil/", ""):
        assert back_url_safe(request, url) == ""


def test_an_ended_visit_offers_neither_account_nor_mandate(staff_client, mediator, pan):
    client = staff_client(mediator)
    ended = visit(by=mediator, site=pan, minutes=5)
    page = client.get(reverse("mediation_backoffice:visit", args=[ended.pk])).content.decode()
    assert "Créer un compte pour cette personne" not in page and "Agir pour le compte" not in page
    response = client.post(reverse("mediation_backoffice:visit", args=[ended.pk]),
                           {"action": "account", "need": "create_account"})
    assert response.status_code == 400  # the read-only page again: nothing saved, nothing prefilled
    assert "accounts:person_account_prefill" not in client.session
