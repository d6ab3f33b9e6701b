"""The help centre ("Besoin d'aide ?"): articles and FAQs, per language, with their revisions.

Texts are translated per field with django-modeltranslation (``helpcentre/translation.py``), as the
catalogue is (ADR 0004). ``Article.body`` holds HTML that ``helpcentre.sanitise.clean_html`` produced:
the services sanitise on write, and the templates sanitise again on read (ADR 0007).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models.expressions import Combinable
from django.utils.translation import gettext_lazy as _

from applications.steps import STEPS

#: The PostgreSQL text-search configuration of each language of the help centre.
SEARCH_CONFIGS = {"fr": "french", "en": "english"}


def search_vector(language: str) -> Combinable:
    """The weighted document searched in ``language``: title (A) > summary (B) > body (C). The
    selector and the GIN index use this same expression, so that PostgreSQL can use the index."""
    config = SEARCH_CONFIGS[language]
    return (SearchVector(f"title_{language}", weight="A", config=config)
            + SearchVector(f"summary_{language}", weight="B", config=config)
            + SearchVector(f"body_{language}", weight="C", config=config))


class Topic(models.Model):  # type: ignore[django-manager-missing]  # manager patched by modeltranslation
    """A theme of the help home ("Votre titre de séjour", "Payer", "Si vous êtes bloqué"...)."""

    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    title = models.CharField(_("titre"), max_length=160)
    summary = models.CharField(_("résumé"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("thème d'aide")
        verbose_name_plural = _("thèmes d'aide")

    def __str__(self) -> str:
        return self.title


class Article(models.Model):  # type: ignore[django-manager-missing]  # manager patched by modeltranslation
    """An article or a frequently asked question, tied optionally to a procedure and a filing step."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        FAQ = "faq", _("Question fréquente")

    slug = models.SlugField(_("identifiant"), max_length=120, unique=True)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.ARTICLE)
    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles",
                              verbose_name=_("thème"))
    title = models.CharField(_("titre"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=400, blank=True,
                               help_text=_("Une ou deux phrases, sans mise en forme : elles s'affichent dans les "
                                           "listes et les résultats de recherche."))
    body = models.TextField(_("contenu"), blank=True,
                            help_text=_("Texte mis en forme. Les scripts, styles et attributs d'événement sont "
                                        "retirés à l'enregistrement."))
    procedure = models.ForeignKey("applications.Procedure", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("démarche"),
                                  help_text=_("Vide : l'article vaut pour toutes les démarches."))
    step = models.CharField(_("étape du formulaire"), max_length=20, choices=STEPS, blank=True,
                            help_text=_("L'étape dont le lien « Aide pour cette étape » mène à cet article."))
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_published = models.BooleanField(_("publié"), default=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("modifié par"))

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("article d'aide")
        verbose_name_plural = _("articles d'aide")
        indexes = [
            # Created on PostgreSQL only (migration 0001's PostgresOnlyAddIndex): SQLite searches with
            # icontains instead (helpcentre.selectors.article_search).
            GinIndex(search_vector("fr"), name="helpcentre_article_search_fr"),
            GinIndex(search_vector("en"), name="helpcentre_article_search_en"),
            models.Index(fields=["step", "procedure"], name="helpcentre_article_step_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleErrorCode(models.Model):
    """An error the article answers: a ``ValidationError`` code (``tax_stamp_used``, ``too_large``...)
    or, for a message without a code of its own, the form field it is about (``tax_stamp_number``)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="error_codes")
    code = models.SlugField(_("code d'erreur"), max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = _("erreur traitée")
        verbose_name_plural = _("erreurs traitées")
        constraints = [models.UniqueConstraint(fields=["article", "code"], name="helpcentre_error_code_once")]
        indexes = [models.Index(fields=["code"], name="helpcentre_error_code_idx")]

    def __str__(self) -> str:
        return self.code


class ArticleRevision(models.Model):
    """A snapshot of an article as saved: every save writes one, and the admin can restore any."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("par"))
    restored_from = models.PositiveIntegerField(_("rétablit la version"), null=True, blank=True)
    is_published = models.BooleanField(_("publié"), default=True)
    title_fr = models.CharField(_("titre (français)"), max_length=200, blank=True)
    title_en = models.CharField(_("titre (anglais)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("résumé (français)"), max_length=400, blank=True)
    summary_en = models.CharField(_("résumé (anglais)"), max_length=400, blank=True)
    body_fr = models.TextField(_("contenu (français)"), blank=True)
    body_en = models.TextField(_("contenu (anglais)"), blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("version d'un article")
        verbose_name_plural = _("versions d'un article")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="helpcentre_revision_number_once")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleFeedback(models.Model):
    """An answer to "Cet article vous a-t-il aidé ?": anonymous, one row per answer."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("utile"))
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("avis sur un article")
        verbose_name_plural = _("avis sur les articles")
        indexes = [models.Index(fields=["article", "helpful"], name="helpcentre_feedback_idx")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"
