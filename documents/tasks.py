import logging

from celery import shared_task
from django.db import OperationalError

from core.storage import STORAGE_ERRORS
from documents.letters.services import letter_batch_render
from documents.models import IssuedDocument, LetterBatch
from documents.services import document_render

logger = logging.getLogger(__name__)


# Retried on what passes (storage or database unavailable, a lock timeout); a template error is a
# bug, and retrying it would only fail again: it surfaces at once in the worker's log.
@shared_task(
    ignore_result=True,
    autoretry_for=(*STORAGE_ERRORS, OperationalError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def render_document(document_id: int) -> None:
    """Renders and stores an issued document's PDF (queued by ``document_issue`` after commit)."""
    _render_one(document_id)


def _render_one(document_id: int) -> None:
    # idempotency: a document rendered already is left as it is (rendered_at is set), here and,
    # under a row lock, in document_render, so a retried or duplicated message renders it once.
    document = IssuedDocument.objects.filter(pk=document_id).first()
    if document is None or document.rendered_at is not None:
        return
    document_render(document=document)


@shared_task(
    ignore_result=True,
    autoretry_for=(*STORAGE_ERRORS, OperationalError),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=6,
)
def render_letter_batch(batch_id: int) -> None:
    """Renders and stores a letter batch's PDF (queued by ``letter_batch_build`` after commit)."""
    # idempotency: a batch rendered already is left as it is, here and under a row lock in
    # letter_batch_render.
    batch = LetterBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.rendered_at is not None:
        return
    letter_batch_render(batch=batch)


@shared_task(ignore_result=True)
def render_document_many(document_ids: list[int]) -> None:
    """``render_document`` for the documents of a batch job, sent in one message
    (``core.tasks.enqueue_held``): each rendered in turn; one that fails is queued alone, with
    ``render_document``'s retries."""
    for document_id in document_ids:
        try:
            _render_one(document_id)
        except Exception:
            logger.warning("render_document_many: document %s queued alone", document_id, exc_info=True)
            render_document.delay(document_id)
