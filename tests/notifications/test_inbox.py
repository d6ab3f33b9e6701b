"""The inbox ("Mes messages"): one's own messages only, read state, constant query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from notifications.models import Channel, Notification
from notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("notifications:inbox")


def _messages(person, count: int, start: int = 0) -> list[Notification]:
    """``count`` inbox messages for ``person``, through the service other apps use."""
    rows = []
    for n in range(start, start + count):
        obj = AuditEvent.objects.create(action="dossier.created", object_type="x", object_id=str(n))
        rows += notify(recipient=person, event="test.changed", obj=obj)
    return [row for row in rows if row.channel == Channel.INBOX]


def _detail(message) -> str:
    return reverse("notifications:detail", args=[message.pk])


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    person = UserFactory()
    [message] = _messages(person, 1)
    login = reverse("accounts:login")

    for url in (INBOX, _detail(message)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{login}?next=")


def test_the_inbox_lists_only_the_person_own_messages(client):
    person, other = UserFactory(), UserFactory()
    _messages(person, 2)
    Notification.objects.filter(recipient=person).update(subject="Pour moi")
    _messages(other, 1, start=10)
    Notification.objects.filter(recipient=other).update(subject="Pour quelqu'un d'autre")
    client.force_login(person)

    response = client.get(INBOX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert html.count("Pour moi") == 2
    assert "Pour quelqu'un d'autre" not in html and "Pour quelqu&#x27;un d&#x27;autre" not in html
    assert html.count("Non lu") == 2  # the state in words, not only in colour
    assert "Vous avez 2 messages non lus." in html
    # E-mail rows are in the outbox, not in the inbox; the newest first.
    assert [int(pk) for pk in re.findall(r'href="/messages/(\d+)/"', html)] == list(
        Notification.objects.filter(recipient=person, channel=Channel.INBOX)
        .order_by("-created_at", "-id").values_list("pk", flat=True)
    )


def test_an_empty_inbox_says_so(client):
    client.force_login(UserFactory())
    assert "Vous n'avez aucun message" in client.get(INBOX).content.decode().replace("&#x27;", "'")


def test_opening_a_message_shows_it_and_marks_it_read(client):
    person = UserFactory()
    [message] = _messages(person, 1)
    client.force_login(person)

    response = client.get(_detail(message))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{message.subject}</h1>" in html
    assert "connectez-vous à votre espace" in html
    message.refresh_from_db()
    first_read = message.read_at
    assert first_read is not None
    client.get(_detail(message))
    message.refresh_from_db()
    assert message.read_at == first_read  # reading again keeps the first reading time
    inbox = client.get(INBOX).content.decode()
    assert "Non lu" not in inbox and "Vous avez lu tous vos messages." in inbox


def test_another_person_message_answers_404_and_stays_unread(client):
    person, other = UserFactory(), UserFactory()
    [theirs] = _messages(other, 1)
    client.force_login(person)

    assert client.get(_detail(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_only_inbox_rows_open_as_messages(client):
    person = UserFactory()
    _messages(person, 1)
    email = Notification.objects.get(recipient=person, channel=Channel.EMAIL)
    client.force_login(person)

    assert client.get(_detail(email)).status_code == 404


def test_the_inbox_shows_twenty_messages_a_page(client):
    person = UserFactory()
    _messages(person, 25)
    client.force_login(person)

    first = client.get(INBOX)
    second = client.get(INBOX, {"page": 2})

    assert len(first.context["page"]) == 20 and len(second.context["page"]) == 5
    assert 'class="fr-pagination"' in first.content.decode()
    assert client.get(INBOX, {"page": "nonsense"}).status_code == 200


def test_the_first_page_counts_every_message_and_every_unread_one(client):
    person = UserFactory()
    messages = _messages(person, 23)
    Notification.objects.filter(pk__in=[m.pk for m in messages[:2]]).update(read_at=timezone.now())
    client.force_login(person)

    for url in (INBOX, f"{INBOX}?page=1", f"{INBOX}?page=2"):
        assert "Vous avez 21 messages non lus." in client.get(url).content.decode(), url
    Notification.objects.filter(recipient=person).update(read_at=timezone.now())
    assert "Vous avez lu tous vos messages." in client.get(INBOX).content.decode()
    Notification.objects.filter(recipient=person).delete()
    assert "Vous n'avez aucun message" in client.get(INBOX).content.decode().replace("&#x27;", "'")


def test_the_inbox_query_count_does_not_grow_with_the_messages(client, django_assert_num_queries):
    person = UserFactory()
    _messages(person, 3)
    client.force_login(person)
    client.get(INBOX)  # the first request of a session also stores its limits
    with CaptureQueriesContext(connection) as few:
        assert client.get(INBOX).status_code == 200

    _messages(person, 27, start=3)
    with django_assert_num_queries(len(few)):
        assert client.get(INBOX).status_code == 200


def test_the_inbox_is_read_only(client):
    client.force_login(UserFactory())
    assert client.post(INBOX).status_code == 405


def test_marking_another_person_message_read_is_refused_by_the_service():
    from django.core.exceptions import PermissionDenied

    from notifications.services import inbox_mark_read

    person, other = UserFactory(), UserFactory()
    [theirs] = _messages(other, 1)
    _messages(person, 1)
    own_email = Notification.objects.get(recipient=person, channel=Channel.EMAIL)  # not an inbox message

    for notification in (theirs, own_email):
        with pytest.raises(PermissionDenied):
            inbox_mark_read(notification=notification, user=person)
        notification.refresh_from_db()
        assert notification.read_at is None


def test_each_page_lists_what_the_orm_lists_with_the_counts_read_in_one_query(client):
    """Issue 14: the number of messages and of unread ones come from one prepared query, the first
    page from another (``core.prepared``), the other pages from the ORM: the same messages, in the
    same order, as ``inbox_for_user`` sliced."""
    from notifications.selectors import inbox_for_user

    person = UserFactory()
    _messages(person, 25)
    read = [message.pk for message in inbox_for_user(user=person)[:4]]
    Notification.objects.filter(pk__in=read).update(read_at="2026-01-02T03:04Z")
    _messages(UserFactory(), 2)  # someone else's
    client.force_login(person)

    first, second = client.get(INBOX), client.get(INBOX, {"page": 2})

    everything = list(inbox_for_user(user=person))
    assert list(first.context["page"]) == everything[:20] and list(second.context["page"]) == everything[20:]
    assert first.context["page"].paginator.count == 25
    assert "Vous avez 21 messages non lus." in first.content.decode()
