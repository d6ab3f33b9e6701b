"""The printing desk's pages per role, and the person's "Courriers envoyés par la poste"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import LetterBatch
from notifications.models import Notification
from tests.backoffice.conftest import sign_in
from tests.documents.letters_support import pan_site, person_by_post, send_letter
from tests.factories import StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db

DESK = reverse("letters_backoffice:desk")
#: The desk page's queries: the same with one batch or many (the pending counts are one query, the
#: batches one query with their desks and agents). 9 → 7 (issue 17): the authenticator and the memberships
#: in one statement; the menu's "Guichets" entry answered by the memberships' read.
QUERIES_OF_THE_DESK_PAGE = 7


def test_an_agent_builds_downloads_and_marks_a_batch_printed(client, django_capture_on_commit_callbacks,
                                                              django_assert_num_queries):
    letters = [send_letter(person_by_post("69")) for _ in range(2)]
    agent = StaffFactory(with_totp=True)
    sign_in(client, agent)

    page = client.get(DESK)
    assert page.status_code == 200
    assert page.context["desks"][0][1] == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters_backoffice:build"), {"desk": f"p{prefecture('69').pk}"})
    assert response.status_code == 302
    batch = LetterBatch.objects.get()

    download = client.get(reverse("letters_backoffice:download", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    assert client.post(reverse("letters_backoffice:mark_printed", args=[batch.pk])).status_code == 302
    assert client.post(reverse("letters_backoffice:mark_printed", args=[batch.pk])).status_code == 302
    assert set(Notification.objects.filter(pk__in=[n.pk for n in letters]).values_list("status", flat=True)) == {
        "sent"}

    # The list's queries do not grow with its batches.
    with django_assert_num_queries(QUERIES_OF_THE_DESK_PAGE):
        assert client.get(DESK).status_code == 200
    for _ in range(3):
        send_letter(person_by_post("69"))
        with django_capture_on_commit_callbacks(execute=False):
            client.post(reverse("letters_backoffice:build"), {"desk": f"p{prefecture('69').pk}"})
    with django_assert_num_queries(QUERIES_OF_THE_DESK_PAGE):
        assert client.get(DESK).status_code == 200


def test_a_mediator_prints_the_letters_of_their_pan_only(client):
    site = pan_site()
    mediator = StaffFactory(mediator=True, role__site=site, with_totp=True)
    send_letter(person_by_post("69"))  # the prefecture's, not the PAN's
    sign_in(client, mediator)

    page = client.get(DESK)
    assert [(d.key, count) for d, count in page.context["desks"]] == [(f"s{site.pk}", 0)]
    response = client.post(reverse("letters_backoffice:build"), {"desk": f"p{prefecture('69').pk}"})
    assert response.status_code == 404


def test_a_batch_of_another_desk_is_not_found(client, django_capture_on_commit_callbacks):
    send_letter(person_by_post("69"))
    from documents.letters.selectors import Desk
    from documents.letters.services import letter_batch_build

    batch = letter_batch_build(desk=Desk(prefecture_id=prefecture("69").pk), by=StaffFactory())
    sign_in(client, StaffFactory(role__code="13", with_totp=True))
    assert client.get(reverse("letters_backoffice:download", args=[batch.pk])).status_code == 404
    assert client.post(reverse("letters_backoffice:mark_printed", args=[batch.pk])).status_code == 404


@pytest.mark.parametrize("who", ["applicant", "support", "unverified"])
def test_others_are_refused(client, who):
    if who == "applicant":
        client.force_login(UserFactory())
        assert client.get(DESK).status_code == 403
    elif who == "support":
        sign_in(client, StaffFactory(support=True, with_totp=True))
        assert client.get(DESK).status_code == 403
    else:
        client.force_login(StaffFactory(with_totp=True))  # a password only: no second factor
        assert client.get(DESK).status_code in (302, 403)


def test_the_letters_page_is_the_persons_own(client):
    client.get(reverse("notifications:letters"))  # anonymous: to the login page
    assert client.get(reverse("notifications:letters")).status_code == 302
    client.force_login(UserFactory())
    page = client.get(reverse("notifications:letters"))
    assert page.status_code == 200
    assert "Courriers envoyés par la poste" in page.content.decode()


def test_the_demo_leaves_letters_to_print(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo")

    pending = Notification.objects.filter(channel="letter", status="pending", batched_letter__isnull=True)
    rhone = prefecture("69")
    assert pending.filter(letter_prefecture=rhone, letter_site__kind="pan").exists()  # Moussa's, at the PAN
    assert pending.filter(letter_prefecture=rhone, letter_site__isnull=True).exists()  # Ibrahim's
