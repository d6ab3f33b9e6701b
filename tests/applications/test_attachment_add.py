"""Adding a piece to a file (``attachment_add``): what is stored of it, which version is current,
what the timeline says, and the limits that come from the piece's type (issue 10: tests written
from the mutants that survived)."""

import hashlib
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Attachment, DossierEvent, Status
from applications.services import attachment_add, draft_start
from applications.services.drafts import _display_name
from tests.applications.helpers import jpeg_file, pdf_file
from tests.factories import DossierFactory, StaffFactory, UserFactory, procedure

pytestmark = pytest.mark.django_db


def passport_of(dossier):
    return dossier.procedure.requirements.order_by("position").first().document_type


def a_draft():
    dossier, _ = draft_start(applicant=UserFactory(), procedure=procedure("renouvellement-salarie"))
    return dossier


def added_events(dossier):
    return list(DossierEvent.objects.filter(dossier=dossier, kind=DossierEvent.Kind.DOCUMENT_ADDED)
                .values("actor", "data"))


# --- What is stored of the file ---------------------------------------------------------------------

def test_the_stored_piece_keeps_the_checked_file_its_facts_and_who_sent_it():
    dossier = a_draft()
    upload = pdf_file("Mon passeport.pdf")
    content = upload.read()
    upload.seek(0)

    attachment = attachment_add(dossier=dossier, document_type=passport_of(dossier), uploaded_file=upload,
                                by=dossier.applicant)

    attachment.refresh_from_db()
    assert (attachment.original_name, attachment.content_type, attachment.extension) == \
        ("Mon passeport.pdf", "application/pdf", ".pdf")
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == content
    assert attachment.uploaded_by == dossier.applicant
    assert attachment.is_current and not attachment.added_after_submission
    assert attachment.dossier == dossier and attachment.document_type == passport_of(dossier)


def test_a_photo_is_stored_as_a_jpeg():
    dossier = a_draft()
    attachment = attachment_add(dossier=dossier, document_type=passport_of(dossier),
                                uploaded_file=jpeg_file("scan.JPG"), by=dossier.applicant)
    attachment.refresh_from_db()
    assert (attachment.original_name, attachment.content_type, attachment.extension) == \
        ("scan.JPG", "image/jpeg", ".jpg")


def test_a_mediator_who_sends_the_piece_is_named_as_its_sender():
    dossier = DossierFactory(status="submitted")
    mediator = StaffFactory(mediator=True)
    attachment = attachment_add(dossier=dossier, document_type=passport_of(dossier), uploaded_file=pdf_file(),
                                by=mediator)
    assert Attachment.objects.get(pk=attachment.pk).uploaded_by == mediator
    assert [event["actor"] for event in added_events(dossier)] == [mediator.pk]


# --- The limits of the piece's type ---------------------------------------------------------------

def test_a_format_the_piece_does_not_accept_is_refused_and_nothing_is_stored():
    dossier = a_draft()
    passport = passport_of(dossier)
    passport.allowed_formats = ["pdf"]
    passport.save()

    with pytest.raises(ValidationError) as error:
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=jpeg_file(), by=dossier.applicant)

    assert error.value.code == "format_not_allowed"
    assert error.value.messages == [
        "Ce format (JPEG) n'est pas accepté pour ce document. Formats acceptés : PDF."]
    assert not Attachment.objects.filter(dossier=dossier).exists()


def test_a_file_over_the_pieces_own_size_limit_is_refused():
    dossier = a_draft()
    passport = passport_of(dossier)
    passport.max_size_mb = 1
    passport.save()
    big = SimpleUploadedFile("passeport.pdf", pdf_file().read() + b"\n%" + b"x" * (1024 * 1024),
                             content_type="application/pdf")

    with pytest.raises(ValidationError) as error:
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=big, by=dossier.applicant)

    assert error.value.code == "too_large"
    assert "Ce fichier dépasse la taille maximale de 1\xa0Mo." in error.value.messages[0]
    assert not Attachment.objects.filter(dossier=dossier).exists()


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.UNDER_REVIEW, Status.COMPLEMENTS_REQUESTED])
def test_a_file_under_instruction_takes_a_new_piece(status):
    dossier = DossierFactory(status=status)
    attachment = attachment_add(dossier=dossier, document_type=passport_of(dossier), uploaded_file=pdf_file(),
                                by=dossier.applicant)
    assert Attachment.objects.get(pk=attachment.pk).added_after_submission


def test_a_refused_type_is_refused_with_its_code():
    from applications.models import DocumentType

    dossier = a_draft()
    other = DocumentType.objects.exclude(procedures=dossier.procedure).first()
    with pytest.raises(ValidationError) as error:
        attachment_add(dossier=dossier, document_type=other, uploaded_file=pdf_file(), by=dossier.applicant)
    assert error.value.code == "document_type_not_asked"


# --- Versions: a draft keeps one, a filed file keeps them all ------------------------------------

def test_a_draft_replaces_its_piece_and_deletes_the_old_file_once_committed(django_capture_on_commit_callbacks):
    dossier = a_draft()
    passport = passport_of(dossier)
    first = attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("v1.pdf"),
                           by=dossier.applicant)
    old_path = first.file.path

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second = attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("v2.pdf"),
                                by=dossier.applicant)
        assert os.path.exists(old_path), "the old file stays until the new piece is committed"
    for callback in callbacks:
        callback()

    assert not os.path.exists(old_path)
    assert list(Attachment.objects.filter(dossier=dossier).values_list("pk", "original_name", "is_current")) == \
        [(second.pk, "v2.pdf", True)]
    assert os.path.exists(second.file.path)
    assert added_events(dossier) == [], "a draft's pieces are not on the timeline"


def test_a_filed_file_keeps_every_version_and_the_timeline_says_which_replaced_another():
    dossier = DossierFactory(status="under_review")
    passport = passport_of(dossier)
    first = attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("v1.pdf"),
                           by=dossier.applicant)
    second = attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file("v2.pdf"),
                            by=dossier.applicant)

    rows = list(Attachment.objects.filter(dossier=dossier).order_by("pk")
                .values_list("pk", "is_current", "added_after_submission"))
    assert rows == [(first.pk, False, True), (second.pk, True, True)]
    assert os.path.exists(Attachment.objects.get(pk=first.pk).file.path)
    assert added_events(dossier) == [
        {"actor": dossier.applicant.pk, "data": {"document_type": passport.name, "replaces": False}},
        {"actor": dossier.applicant.pk, "data": {"document_type": passport.name, "replaces": True}},
    ]


def test_versions_of_one_piece_do_not_count_against_another():
    from applications.rules import MAX_PIECE_VERSIONS

    dossier = DossierFactory(status="submitted")
    passport, other = [r.document_type for r in dossier.procedure.requirements.order_by("position")[:2]]
    for n in range(MAX_PIECE_VERSIONS - 1):
        attachment_add(dossier=dossier, document_type=other, uploaded_file=pdf_file(f"autre{n}.pdf"),
                       by=dossier.applicant)
    for n in range(MAX_PIECE_VERSIONS):
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file(f"v{n}.pdf"),
                       by=dossier.applicant)
    assert Attachment.objects.filter(dossier=dossier, document_type=passport).count() == MAX_PIECE_VERSIONS
    with pytest.raises(ValidationError) as error:
        attachment_add(dossier=dossier, document_type=passport, uploaded_file=pdf_file(), by=dossier.applicant)
    assert error.value.messages == [
        f"Vous avez déjà envoyé {MAX_PIECE_VERSIONS} versions de cette pièce, le maximum. Si vous devez en "
        "envoyer une autre, contactez la préfecture."]
    assert Attachment.objects.get(dossier=dossier, document_type=other, is_current=True).original_name == \
        f"autre{MAX_PIECE_VERSIONS - 2}.pdf"


# --- The name shown for the file -----------------------------------------------------------------

@pytest.mark.parametrize(("sent", "shown"), [
    ("passeport.pdf", "passeport.pdf"),
    ("C:\\Users\\amina\\Documents\\passeport.pdf", "passeport.pdf"),
    ("../../etc/passeport.pdf", "passeport.pdf"),
    ("dossier/sous\\passeport.pdf", "passeport.pdf"),
    ("pass\x00port\n\t.pdf", "passport.pdf"),
    ("Titre de séjour – copie.pdf", "Titre de séjour – copie.pdf"),
    ("a" * 130 + ".pdf", "a" * 120),
    ("b" * 120, "b" * 120),
    ("", "document"),
    (None, "document"),
    ("dossier/", "document"),
    ("\x07\x08", "document"),
])
def test_the_name_shown_is_the_last_part_printable_and_at_most_120_characters(sent, shown):
    assert _display_name(sent) == shown


def test_another_files_versions_of_the_same_piece_do_not_count():
    from applications.rules import MAX_PIECE_VERSIONS

    busy, mine = DossierFactory(status="submitted"), DossierFactory(status="submitted")
    passport = passport_of(mine)
    assert passport == passport_of(busy)
    for n in range(MAX_PIECE_VERSIONS):
        attachment_add(dossier=busy, document_type=passport, uploaded_file=pdf_file(f"v{n}.pdf"), by=busy.applicant)

    attachment_add(dossier=mine, document_type=passport, uploaded_file=pdf_file("premier.pdf"), by=mine.applicant)

    assert Attachment.objects.get(dossier=mine, is_current=True).original_name == "premier.pdf"
