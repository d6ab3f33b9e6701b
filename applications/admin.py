from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from core.admin import TabularInline

from .catalogue_cache import catalogue_changed
from .models import (
    Attachment,
    DocumentType,
    Dossier,
    DossierEvent,
    Permit,
    Procedure,
    ProcedureDocument,
)


@admin.register(Permit)
class PermitAdmin(admin.ModelAdmin):
    list_display = ["number", "category", "holder", "valid_from", "valid_until", "allows_work"]
    list_filter = ["category", "allows_work"]
    search_fields = ["number", "holder__email", "holder__last_name"]
    list_select_related = ["holder"]
    raw_id_fields = ["holder"]


class CatalogueAdmin(TranslationAdmin):
    """Every change to the catalogue gives it a new version: /demarches/ renders its cards anew."""

    def save_related(self, request, form, formsets, change):  # after save_model, with the inlines
        super().save_related(request, form, formsets, change)
        catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalogue_changed()


@admin.register(DocumentType)
class DocumentTypeAdmin(CatalogueAdmin):  # a French and an English tab per text
    list_display = ["name", "code", "allowed_formats", "max_size_mb"]
    search_fields = ["name", "code"]


class ProcedureDocumentInline(TabularInline):
    model = ProcedureDocument
    extra = 0
    autocomplete_fields = ["document_type"]


@admin.register(Procedure)
class ProcedureAdmin(CatalogueAdmin):  # the questions' English is inside their JSON (ADR 0004)
    list_display = ["name", "group", "is_renewal", "needs_biometrics", "fee_eur", "typical_delay_days", "is_active"]
    list_filter = ["group", "is_renewal", "is_active"]
    search_fields = ["name", "code"]
    inlines = [ProcedureDocumentInline]


class DossierEventInline(TabularInline):
    model = DossierEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "actor", "on_behalf_of", "from_status", "to_status", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    # Read-only here: dossiers change only through the services (state machine, timeline, audit).
    list_display = ["reference", "procedure", "applicant", "status", "prefecture", "submitted_at"]
    list_filter = ["status", "channel", "procedure__group"]
    search_fields = ["reference", "applicant__email", "applicant__last_name"]
    list_select_related = ["procedure", "applicant", "prefecture"]
    inlines = [DossierEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["dossier", "document_type", "original_name", "size", "review", "is_current"]
    list_select_related = ["dossier", "document_type"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
