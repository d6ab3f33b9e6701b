"""The help centre's texts per language (django-modeltranslation, as the catalogue: ADR 0004)."""

from modeltranslation.translator import TranslationOptions, register

from helpcentre.models import Article, Topic


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("title", "summary")


@register(Article)
class ArticleTranslation(TranslationOptions):
    fields = ("title", "summary", "body")
