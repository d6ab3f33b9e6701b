"""Letters printed in batches (issue 12, item 4): each pending letter joins one batch, printing
twice changes nothing, the PDF has one page per letter with its address and code."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import AuditEvent
from documents.letters.selectors import Desk, letter_desks_for_user, letters_pending_counts
from documents.letters.services import letter_batch_build, letter_batch_mark_printed
from documents.models import BatchedLetter, LetterBatch
from notifications.models import Notification
from notifications.services import notify
from tests.documents.letters_support import pan_site, person_by_post, send_letter
from tests.factories import StaffFactory, UserFactory, prefecture

pytestmark = pytest.mark.django_db


@pytest.fixture
def build(django_capture_on_commit_callbacks):
    """Builds a batch and runs its after-commit rendering, as a real commit would."""

    def run(desk, by):
        with django_capture_on_commit_callbacks(execute=True):
            batch = letter_batch_build(desk=desk, by=by)
        if batch is not None:
            batch.refresh_from_db()
        return batch

    return run


def desk_69():
    return Desk(prefecture_id=prefecture("69").pk)


def test_a_letter_goes_to_the_competent_prefecture():
    letter = send_letter(person_by_post("69"))
    assert (letter.letter_prefecture_id, letter.letter_site_id) == (prefecture("69").pk, None)
    assert letter.status == "pending"


def test_a_letter_to_an_account_made_at_a_pan_goes_to_that_pan():
    from accounts.services import account_create_for_person

    site = pan_site()
    mediator = StaffFactory(mediator=True, role__site=site)
    made = account_create_for_person(
        first_name="Fatou", last_name="Diallo", birth_date=datetime.date(1988, 2, 3), address="5 rue Marc Bloch",
        postal_code="69007", city="Lyon", language="fr", by=mediator,
    )
    letter = send_letter(made.user)
    assert (letter.letter_prefecture_id, letter.letter_site_id) == (site.prefecture_id, site.pk)


def test_a_contact_letter_goes_to_the_prefecture_of_its_postcode():
    from notifications.services import Contact, notify_contact

    [row] = notify_contact(contact=Contact(name="Ali Ben", postal_address="4 rue du Port\n13001 Marseille"),
                           event="report.opened", obj=UserFactory(), template="report_opened",
                           context={"report": None})
    assert row.channel == "letter"
    assert row.letter_prefecture_id == prefecture("13").pk


def test_the_batch_holds_each_pending_letter_once(build):
    agent = StaffFactory()
    mine = [send_letter(person_by_post("69")) for _ in range(3)]
    elsewhere = send_letter(person_by_post("13"))
    by_sms = UserFactory(without_email=True, phone="0612345678")
    sms = [row for row in notify(recipient=by_sms, event="dossier.submitted", obj=by_sms, context={})
           if row.channel == "sms"]

    batch = build(desk_69(), agent)

    assert batch.letters_count == 3
    assert sorted(batch.letters.values_list("notification_id", flat=True)) == sorted(n.pk for n in mine)
    assert list(batch.letters.values_list("position", flat=True)) == [1, 2, 3]
    assert not BatchedLetter.objects.filter(notification__in=[elsewhere, *sms]).exists()
    # A second build finds nothing left: the letters are in a batch, though not yet printed.
    assert build(desk_69(), agent) is None
    assert letters_pending_counts(desks=[desk_69()]) == {desk_69().key: 0}
    # A new letter goes in the next batch, alone.
    late = send_letter(person_by_post("69"))
    assert list(build(desk_69(), agent).letters.values_list("notification_id", flat=True)) == [late.pk]


def test_printing_twice_changes_nothing(build):
    agent, other = StaffFactory(), StaffFactory(supervisor=True)
    letters = [send_letter(person_by_post("69")) for _ in range(2)]
    batch = build(desk_69(), agent)
    assert batch.is_rendered

    printed = letter_batch_mark_printed(batch=batch, by=agent)
    first_at = printed.printed_at
    again = letter_batch_mark_printed(batch=batch, by=other)

    assert (again.status, again.printed_at, again.printed_by) == ("printed", first_at, agent)
    for letter in letters:
        letter.refresh_from_db()
        assert (letter.status, letter.sent_at) == ("sent", first_at)
    assert AuditEvent.objects.filter(action="letter_batch.printed").count() == 1
    assert LetterBatch.objects.count() == 1 and BatchedLetter.objects.count() == 2


def test_a_batch_is_printed_once_its_pdf_is_ready():
    agent = StaffFactory()
    send_letter(person_by_post("69"))
    batch = letter_batch_build(desk=desk_69(), by=agent)  # the render task never ran
    with pytest.raises(ValidationError):
        letter_batch_mark_printed(batch=batch, by=agent)


def test_only_the_desks_staff_build_and_print(build):
    send_letter(person_by_post("69"))
    with pytest.raises(PermissionDenied):
        letter_batch_build(desk=desk_69(), by=StaffFactory(role__code="13"))
    with pytest.raises(PermissionDenied):
        letter_batch_build(desk=desk_69(), by=StaffFactory(verified=False))
    batch = build(desk_69(), StaffFactory())
    with pytest.raises(PermissionDenied):
        letter_batch_mark_printed(batch=batch, by=StaffFactory(support=True))


def test_desks_of_agents_supervisors_and_pan_mediators():
    site = pan_site()
    assert [d.key for d in letter_desks_for_user(user=StaffFactory())] == [desk_69().key]
    assert [d.key for d in letter_desks_for_user(user=StaffFactory(supervisor=True, role__code="13"))] == [
        f"p{prefecture('13').pk}"]
    assert [d.key for d in letter_desks_for_user(user=StaffFactory(mediator=True, role__site=site))] == [
        f"s{site.pk}"]
    assert letter_desks_for_user(user=StaffFactory(support=True)) == []
    assert letter_desks_for_user(user=UserFactory()) == []


def text_positions(page) -> list[tuple[tuple[float, float], str]]:
    """Each text run of a PDF page with (mm from the left edge, mm from the top edge)."""
    height = float(page.mediabox.height)
    runs: list[tuple[tuple[float, float], str]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            x, y = cm[4] + tm[4] * cm[0], cm[5] + tm[5] * cm[3]
            runs.append(((x * 25.4 / 72, (height - y) * 25.4 / 72), text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def test_the_pdf_has_a_page_per_letter_with_its_address_and_code(build):
    people = [person_by_post("69", last_name=f"Traoré{i}", address=f"{i} avenue Berthelot") for i in range(3)]
    for person in people:
        send_letter(person)

    batch = build(desk_69(), StaffFactory())

    reader = PdfReader(io.BytesIO(batch.file.read()))
    assert len(reader.pages) == 3
    for page, letter in zip(reader.pages, batch.letters.order_by("position"), strict=True):
        text = page.extract_text()
        person = letter.notification.recipient
        assert person.get_full_name() in text and person.address in text and "69003 Lyon" in text
        assert letter.verification_code_display in text
        assert letter.notification.subject in text
        assert "Service des étrangers" in text  # the sender block
        # The address block is where the window of a DL or C5/6 envelope shows it: its lines start
        # 100 mm from the left edge, between 45 and 90 mm from the top.
        [(left, top)] = [position for position, line in text_positions(page) if line == person.address]
        assert 99 <= left <= 102 and 45 <= top <= 90


def test_a_letter_code_is_verified_on_the_public_page(build, client):
    person = person_by_post("69", first_name="Moussa", last_name="Keita")
    send_letter(person)
    batch = build(desk_69(), StaffFactory())
    letter = batch.letters.get()

    response = client.post(reverse("documents:verify"), {"code": letter.verification_code_display.lower()})

    assert response.status_code == 200
    assert response.context["facts"].number == letter.number
    assert person.get_full_name() in response.content.decode()
    assert letter.notification.subject not in response.content.decode()  # never the letter's text


def test_the_person_sees_what_was_sent_by_post(build, client):
    person = person_by_post("69")
    letter = send_letter(person)
    other = person_by_post("69")
    send_letter(other)
    client.force_login(person)
    assert letter.subject not in client.get(reverse("notifications:letters")).content.decode()

    batch = build(desk_69(), StaffFactory())
    letter_batch_mark_printed(batch=batch, by=StaffFactory())

    page = client.get(reverse("notifications:letters"))
    assert page.status_code == 200
    assert list(page.context["page"]) == [Notification.objects.get(pk=letter.pk)]


def test_a_letter_without_any_address_has_no_desk():
    nowhere = UserFactory(without_email=True, phone="", address="", postal_code="", city="", department=None)
    letter = send_letter(nowhere)
    assert (letter.letter_prefecture_id, letter.letter_site_id) == (None, None)


def test_no_activation_code_ever_reaches_a_batch(build):
    """The welcome letter's one-time code is rendered at the desk, never stored: neither in the
    outbox nor in a printed batch."""
    from accounts.services import account_create_for_person

    site = pan_site()
    mediator = StaffFactory(mediator=True, role__site=site)
    made = account_create_for_person(
        first_name="Fatou", last_name="Diallo", birth_date=datetime.date(1988, 2, 3), address="5 rue Marc Bloch",
        postal_code="69007", city="Lyon", language="fr", by=mediator,
    )
    send_letter(made.user)
    code = made.activation_code
    assert not Notification.objects.filter(body__contains=code).exists()

    batch = build(Desk(prefecture_id=site.prefecture_id, site_id=site.pk), mediator)

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(batch.file.read())).pages)
    assert made.user.get_full_name() in text
    assert code not in text and code.replace("-", "") not in text


def test_a_letter_to_an_english_reader_keeps_its_body_in_english(build):
    send_letter(person_by_post("69", preferred_language="en"))

    batch = build(desk_69(), StaffFactory())

    text = PdfReader(io.BytesIO(batch.file.read())).pages[0].extract_text()
    assert "Your application no." in text  # the body as queued, in the person's language
    assert "Pour vérifier l'authenticité de ce courrier" in text  # the frame, French first


def test_a_letter_to_a_person_without_an_account_is_printed_with_their_postal_address(build):
    from notifications.services import Contact, notify_contact

    notify_contact(contact=Contact(name="Ibrahim Koné", postal_address="12 rue Garibaldi\n69003 Lyon"),
                   event="report.opened", obj=UserFactory(), template="report_opened", context={"report": None})

    batch = build(desk_69(), StaffFactory())

    page = PdfReader(io.BytesIO(batch.file.read())).pages[0]
    lines = [line for _position, line in text_positions(page)]
    assert "Ibrahim Koné" in lines and "12 rue Garibaldi" in lines and "69003 Lyon" in lines


def test_the_name_is_printed_once_when_the_typed_address_starts_with_it(build):
    from notifications.services import Contact, notify_contact

    notify_contact(contact=Contact(name="Ibrahim", postal_address="Ibrahim KONÉ\n12 rue Garibaldi\n69003 Lyon"),
                   event="report.opened", obj=UserFactory(), template="report_opened", context={"report": None})

    batch = build(desk_69(), StaffFactory())

    lines = [line for _position, line in text_positions(PdfReader(io.BytesIO(batch.file.read())).pages[0])]
    assert "Ibrahim KONÉ" in lines and "Ibrahim" not in lines
