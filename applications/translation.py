"""The catalogue's texts per language (django-modeltranslation, ADR 0004): ``name`` reads
``name_fr`` or ``name_en`` by the active language, falling back to French. The questions inside the
``eligibility`` and ``questions`` JSON lists carry their English beside the French instead
(``text_en``, ``label_en``...): see ``applications/catalogue_i18n.py``."""

from modeltranslation.translator import TranslationOptions, register

from applications.models import DocumentType, Procedure


@register(DocumentType)
class DocumentTypeTranslation(TranslationOptions):
    fields = ("name", "help_text")


@register(Procedure)
class ProcedureTranslation(TranslationOptions):
    fields = ("name", "audience", "help")
