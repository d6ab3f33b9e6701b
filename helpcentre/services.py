"""Writes of the help centre: an article is saved sanitised and with a new revision, every time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from core.fragments import fragment_changed
from helpcentre.models import Article, ArticleFeedback, ArticleRevision
from helpcentre.sanitise import clean_html

if TYPE_CHECKING:
    from accounts.models import User

#: The name of the help's content version (core.fragments): the help home's lists are cached by it.
HELP = "help"


def help_changed() -> None:
    """Articles or topics changed: the help home renders its lists anew (after the commit)."""
    fragment_changed(HELP)


#: The per-language fields a revision keeps (``title_fr``, ``title_en``...).
REVISED_FIELDS = [f"{field}_{language}" for field in ("title", "summary", "body")
                  for language in settings.MODELTRANSLATION_LANGUAGES]


def article_sanitise(article: Article) -> None:
    """Cleans the article's HTML in every language, in place."""
    for language in settings.MODELTRANSLATION_LANGUAGES:
        setattr(article, f"body_{language}", clean_html(getattr(article, f"body_{language}") or ""))


@transaction.atomic
def article_save(*, article: Article, by: User | None, restored_from: int | None = None) -> ArticleRevision:
    """Saves ``article`` (new or changed) with its body sanitised, and records the version saved.
    The one way an article is written, from the admin or from code."""
    article_sanitise(article)
    article.updated_by = by
    article.save()
    help_changed()
    # The article row is locked by the save above: two editors saving at once get numbers in turn.
    last = article.revisions.aggregate(last=Max("number"))["last"] or 0
    return ArticleRevision.objects.create(
        article=article, number=last + 1, created_by=by, restored_from=restored_from, is_published=article.is_published,
        **{name: getattr(article, name) or "" for name in REVISED_FIELDS},
    )


@transaction.atomic
def article_restore(*, revision: ArticleRevision, by: User | None) -> ArticleRevision:
    """Puts back the texts of ``revision`` as the current version: a new revision, so that the
    history keeps what was replaced."""
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    for name in REVISED_FIELDS:
        setattr(article, name, getattr(revision, name))
    article.is_published = revision.is_published
    return article_save(article=article, by=by, restored_from=revision.number)


def article_feedback_record(*, article: Article, helpful: bool) -> ArticleFeedback:
    """Records an answer to "Cet article vous a-t-il aidé ?" (anonymous: no person, no address)."""
    return ArticleFeedback.objects.create(article=article, helpful=helpful)
