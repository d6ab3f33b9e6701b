"""The main menu shows each person only what they may open (issue 9, item 11): every link of every
role's menu answers, and the pages a role may not open are not in it."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.backoffice.conftest import sign_in
from tests.factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

DESKS = "/backoffice/guichets/"
QUEUE = "/backoffice/dossiers/"


def menu_links(client, path="/") -> list[str]:
    page = client.get(path).content.decode()
    nav = re.search(r'<nav class="fr-nav" id="navigation".*?</nav>', page, re.S).group(0)
    return re.findall(r'href="([^"]+)"', nav)


def staff_client(client, role):
    return sign_in(client, StaffFactory(role=role, with_totp=True))


@pytest.mark.parametrize("role, expected, hidden", [
    (Role.AGENT, {"/backoffice/", QUEUE, DESKS}, set()),
    (Role.SUPERVISOR, {"/backoffice/", QUEUE, DESKS}, set()),
    (Role.MEDIATOR, {"/backoffice/", DESKS}, {QUEUE}),
    (Role.SUPPORT, {"/backoffice/"}, {QUEUE, DESKS}),
    (Role.ADMINISTRATOR, {"/backoffice/"}, {QUEUE, DESKS}),
])
def test_every_link_of_a_staff_menu_opens(client, role, expected, hidden):
    """Regression: the contact-centre agent's "Guichets" menu link answered 403."""
    staff_client(client, role)
    for path in ("/", "/backoffice/"):
        links = menu_links(client, path)
        assert expected <= set(links)
        assert not hidden & set(links)
        for link in links:
            assert client.get(link).status_code == 200, f"{role}: {link}"
    # What is hidden is indeed closed to the role: the menu and the views agree.
    for path in hidden:
        assert client.get(path).status_code == 403


def test_every_link_of_an_applicant_and_a_visitor_menu_opens(client):
    links = menu_links(client)
    assert "/backoffice/" not in links and reverse("applications:dashboard") not in links
    for link in links:
        assert client.get(link).status_code == 200, link

    client.force_login(UserFactory())
    links = menu_links(client)
    assert reverse("applications:dashboard") in links and reverse("appointments:list") in links
    assert not [link for link in links if link.startswith("/backoffice/")]
    for link in links:
        assert client.get(link).status_code == 200, link


def test_staff_before_the_second_factor_see_only_the_way_in(client):
    staff = StaffFactory(with_totp=True)
    client.post(reverse("accounts:login"), {"username": staff.email, "password": PASSWORD})
    links = menu_links(client, reverse("help"))
    assert "/backoffice/" in links
    assert QUEUE not in links and DESKS not in links


def test_the_current_page_is_marked_in_the_menu(client):
    staff_client(client, Role.AGENT)
    page = client.get(DESKS).content.decode()
    assert f'href="{DESKS}" aria-current="page"' in page


def test_the_menu_is_in_the_readers_language_and_marks_only_the_current_page(client):
    """The menu's HTML is kept per language, entries and current entry (``anef.menus``): English
    readers get English labels, and the page marked is the one open, not the last one cached."""
    client.force_login(UserFactory())
    dashboard, appointments = reverse("applications:dashboard"), reverse("appointments:list")
    page = client.get(dashboard).content.decode()
    assert f'href="{dashboard}" aria-current="page">Mon espace<' in page
    assert f'href="{appointments}">Mes rendez-vous<' in page

    page = client.get(appointments).content.decode()
    assert f'href="{appointments}" aria-current="page">Mes rendez-vous<' in page
    assert f'href="{dashboard}">Mon espace<' in page

    page = client.get(appointments, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{appointments}" aria-current="page">My appointments<' in page
    assert ">Mon espace<" not in page


def test_a_change_of_role_shows_in_the_menu_on_the_next_page(client):
    """The staff entries are kept per process by what their checks read (``anef.menus``): a role
    given or taken is a new combination, so the next page shows it."""
    anomalies = reverse("substitution_backoffice:anomalies")
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)
    assert QUEUE in menu_links(client, "/backoffice/") and anomalies not in menu_links(client, "/backoffice/")

    technical = agent.memberships.create(role=Role.TECHNICAL)
    assert {QUEUE, anomalies} <= set(menu_links(client, "/backoffice/"))

    technical.delete()
    agent.memberships.filter(role=Role.AGENT).update(role=Role.SUPPORT, prefecture=None)
    links = menu_links(client, "/backoffice/")
    assert anomalies in links and QUEUE not in links

    # Another agent, with a password only, sees no entry of the first one's.
    other = client.__class__()
    other.post(reverse("accounts:login"), {"username": StaffFactory(with_totp=True).email, "password": PASSWORD})
    links = menu_links(other, reverse("help"))
    assert QUEUE not in links and anomalies not in links


def test_the_desks_entry_follows_the_sites_of_the_prefecture_on_the_next_page(client):
    """The "Guichets" entry is shown when the person's prefecture has a site, read with the
    memberships on every request (``appointments.selectors.staff_runs_desks``): a site taken away
    or given back shows on the next page, with no change of role and nothing kept in between."""
    from territory.models import Site
    from tests.factories import prefecture

    lyon, bordeaux = prefecture("69"), prefecture("33")
    staff_client(client, Role.AGENT)
    assert DESKS in menu_links(client, QUEUE)

    moved = list(Site.objects.filter(prefecture=lyon).values_list("pk", flat=True))
    Site.objects.filter(pk__in=moved).update(prefecture=bordeaux)
    assert DESKS not in menu_links(client, QUEUE)
    assert client.get(DESKS).status_code == 403  # as the page itself decides

    Site.objects.filter(pk=moved[0]).update(prefecture=lyon)
    assert DESKS in menu_links(client, QUEUE)


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.MEDIATOR, Role.SUPPORT, Role.TECHNICAL])
@pytest.mark.parametrize("with_sites", [True, False])
def test_the_menus_answer_is_staff_site_ids(role, with_sites):
    """``staff_runs_desks`` (no query) says what ``bool(staff_site_ids(...))`` (a query) says, for
    every role, with and without a site in the prefecture, and never before the second factor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.selectors import user_memberships
    from appointments.selectors import staff_runs_desks, staff_site_ids
    from territory.models import Site
    from tests.factories import prefecture

    people = [StaffFactory(role=role, verified=verified) for verified in (True, False)]
    if not with_sites:  # (a mediator keeps their own site, wherever it is)
        Site.objects.filter(prefecture=prefecture("69")).update(prefecture=prefecture("33"))
    answers = []
    for person in people:
        user_memberships(user=person)  # as the gate reads them
        with CaptureQueriesContext(connection) as queries:
            answers.append(staff_runs_desks(user=person))
        assert not queries.captured_queries
        assert answers[-1] is bool(staff_site_ids(user=person))
    verified, unverified = answers
    assert verified is (role == Role.MEDIATOR or (with_sites and role in (Role.AGENT, Role.SUPERVISOR)))
    assert unverified is False


def test_the_staff_menu_reads_no_site(client):
    """Regression (the eighth pass): the menu's "Guichets" entry read the sites of the person's
    prefectures on every back-office page, a query of its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    staff_client(client, Role.AGENT)
    with CaptureQueriesContext(connection) as queries:
        assert DESKS in menu_links(client, "/backoffice/")
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "territory_site"')]
