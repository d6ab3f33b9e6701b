"""Writes about letter batches: build one for a desk, render its PDF, mark it printed.

Each pending letter joins one batch only: builders of one desk take turns (a row lock on the
desk's prefecture or site), each locks the letters it takes, and the one-to-one
``BatchedLetter.notification`` is the database's last word. Printing twice changes nothing:
``letter_batch_mark_printed`` locks the batch and returns it as it is once printed. See docs/adr/0008-letter-batches.md.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from core.tasks import enqueue
from documents.letters.selectors import Desk, letter_desks_for_user, letters_pending_for_desk
from documents.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    BatchedLetter,
    IssuedDocument,
    LetterBatch,
    LetterBatchStatus,
)
from documents.rendering import render_pdf
from notifications.models import Channel, Notification, Status
from territory.models import Prefecture, Site

LETTER_BATCH_TEMPLATE = "documents/pdf/letter_batch.html"


@transaction.atomic
def letter_batch_build(*, desk: Desk, by: User) -> LetterBatch | None:
    """Gathers the desk's pending letters (at most ``LETTER_BATCH_MAX_LETTERS``, oldest first) into
    a new batch and queues its PDF; None when there is none to print.

    ``by`` must print for this desk (``letter_desks_for_user``)."""
    if desk not in letter_desks_for_user(user=by):
        raise PermissionDenied(_("Vous n'imprimez pas les courriers de ce guichet."))
    # One builder per desk at a time: a second one waits here for the first to commit, and its
    # query below then sees the letters the first took (a fresh snapshot per statement). Without
    # it, a letter the first one releases as it commits could pass the second one's filter, and
    # only the one-to-one on BatchedLetter would stop it, as an error.
    desk_row = Site.objects.filter(pk=desk.site_id) if desk.site_id else Prefecture.objects.filter(
        pk=desk.prefecture_id)
    list(desk_row.select_for_update().values_list("pk", flat=True))
    # skip_locked: a letter someone else holds now is not ours to take; of=self: the outer join on
    # batched_letter cannot be locked, and need not be.
    ids = list(
        letters_pending_for_desk(desk=desk).select_for_update(skip_locked=True, of=("self",))
        .values_list("id", flat=True)[:settings.LETTER_BATCH_MAX_LETTERS]
    )
    if not ids:
        return None
    batch = LetterBatch.objects.create(
        prefecture_id=desk.prefecture_id, site_id=desk.site_id, created_by=by, letters_count=len(ids),
    )
    codes = _new_verification_codes(len(ids))
    BatchedLetter.objects.bulk_create([
        BatchedLetter(batch=batch, notification_id=pk, position=position, verification_code=code)
        for position, (pk, code) in enumerate(zip(ids, codes, strict=True), start=1)
    ])
    audit_record(actor=by, action="letter_batch.built", obj=batch, data={
        "number": batch.number, "letters": len(ids),
        "desk": f"site#{desk.site_id}" if desk.site_id else f"prefecture#{desk.prefecture_id}",
    })
    enqueue("documents.tasks.render_letter_batch", batch.pk)
    return batch


def _new_verification_codes(count: int) -> list[str]:
    """``count`` unused codes, unique among letters and issued documents alike (one /verifier/)."""
    codes: set[str] = set()
    while len(codes) < count:
        drawn = {"".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
                 for _j in range(count - len(codes))}
        drawn -= set(BatchedLetter.objects.filter(verification_code__in=drawn)
                     .values_list("verification_code", flat=True))
        drawn -= set(IssuedDocument.objects.filter(verification_code__in=drawn)
                     .values_list("verification_code", flat=True))
        codes |= drawn
    return sorted(codes)[:count]


@transaction.atomic
def letter_batch_mark_printed(*, batch: LetterBatch, by: User) -> LetterBatch:
    """Records that the batch was printed and posted: its letters become sent (status, sent_at).

    Once only: a batch printed already is returned unchanged (a second click, two agents)."""
    batch = LetterBatch.objects.select_for_update().get(pk=batch.pk)
    # idempotency: printed once, printed for good; the letters were marked sent then.
    if batch.status == LetterBatchStatus.PRINTED:
        return batch
    if Desk(prefecture_id=batch.prefecture_id, site_id=batch.site_id) not in letter_desks_for_user(user=by):
        raise PermissionDenied(_("Vous n'imprimez pas les courriers de ce guichet."))
    if not batch.is_rendered:
        raise ValidationError(_("Le PDF du lot est en cours de préparation : imprimez-le avant de le marquer imprimé."))
    now = timezone.now()
    batch.status = LetterBatchStatus.PRINTED
    batch.printed_at = now
    batch.printed_by = by
    batch.save(update_fields=["status", "printed_at", "printed_by"])
    sent = Notification.objects.filter(
        batched_letter__batch=batch, channel=Channel.LETTER, status=Status.PENDING,
    ).update(status=Status.SENT, sent_at=now)
    audit_record(actor=by, action="letter_batch.printed", obj=batch, data={"number": batch.number, "letters": sent})
    return batch


def letter_batch_render(*, batch: LetterBatch) -> LetterBatch:
    """Renders and stores the batch's PDF, once (the row is locked: a duplicated task waits, then
    finds it rendered)."""
    if batch.rendered_at is not None:
        return batch
    with transaction.atomic():
        batch = LetterBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.rendered_at is not None:
            return batch
        with translation.override("fr"):
            pdf = render_pdf(LETTER_BATCH_TEMPLATE, letter_batch_pdf_context(batch=batch))
        batch.file.save(f"{batch.number}.pdf", ContentFile(pdf), save=False)
        batch.rendered_at = timezone.now()
        batch.save(update_fields=["file", "rendered_at"])
    return batch


def letter_batch_pdf_context(*, batch: LetterBatch) -> dict[str, Any]:
    """The batch's pages: the sender block (the desk, from territory data), and per letter the
    address block, subject, body (as rendered in the person's language when queued) and code."""
    pages = []
    for letter in batch.letters.select_related("notification__recipient").order_by("position"):
        notification = letter.notification
        language = _language(notification)
        pages.append({
            "number": letter.number,
            "verification_code": letter.verification_code_display,
            "address": _address_block(notification),
            "subject": notification.subject,
            "body": notification.body,
            "language": language,
            "translation_language": language if language != "fr" else None,  # for {% bilingual %}
            "created_at": notification.created_at,
        })
    return {
        "batch": batch,
        "sender": _sender_block(prefecture=batch.prefecture, site=batch.site),
        "letters": pages,
        "date": timezone.localdate(),
        "verification_url": settings.SITE_URL + reverse("documents:verify"),
    }


def _language(notification: Notification) -> str:
    """The language the letter's body was rendered in (the person's; French for a contact)."""
    recipient = notification.recipient
    return (recipient.preferred_language or "fr") if recipient is not None else "fr"


def _sender_block(*, prefecture: Prefecture, site: Site | None) -> list[str]:
    if site is None:  # the prefecture's own reception site, when territory data has its address
        site = Site.objects.filter(prefecture=prefecture, kind=Site.Kind.PREFECTURE).order_by("id").first()
        lines = [prefecture.name, _("Service des étrangers")]
    else:
        lines = [site.name]
    if site is not None:
        lines += [line for line in (site.address.strip(), f"{site.postal_code} {site.city}".strip()) if line]
    else:
        lines.append(prefecture.city)
    return lines


def _address_block(notification: Notification) -> list[str]:
    recipient = notification.recipient
    if recipient is not None:
        lines = [recipient.get_full_name() or str(recipient), recipient.address,
                 f"{recipient.postal_code} {recipient.city}".strip()]
    else:
        address = notification.contact_postal_address.splitlines()
        # The name kept for the greeting may be a first name only, while the address a person types
        # often starts with their full name: "Ibrahim" above "Ibrahim KONÉ" would print both.
        named = bool(address) and address[0].strip().casefold().startswith(notification.contact_name.casefold())
        lines = address if named else [notification.contact_name, *address]
    return [line.strip() for line in lines if line and line.strip()][:6]
