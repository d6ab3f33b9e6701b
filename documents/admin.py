from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from documents.models import IssuedDocument, LetterBatch
from documents.services import document_revoke


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(admin.ModelAdmin):
    """Read-only: documents are issued by the services of the apps that need them, and changed
    only through the revoke action below (which writes the audit trail)."""

    list_display = ["number", "kind", "holder_name", "status", "issued_at", "valid_until", "rendered_at"]
    list_filter = ["kind", "status", "language"]
    search_fields = ["=number", "=verification_code", "holder__email"]
    list_select_related = ["holder"]
    date_hierarchy = "issued_at"
    actions = ["revoke"]
    # The file has no URL (private storage): the detail page shows everything else, read-only.
    exclude = ["file"]

    def get_search_results(self, request, queryset, search_term):
        # Codes are printed as ABCDE-23456 and stored as ABCDE23456, upper case.
        term = search_term.strip()
        if len(term) == 11 and term[5] == "-":
            term = term.replace("-", "").upper()
        return super().get_search_results(request, queryset, term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        # Revoking is the one change allowed: it needs the model's change permission.
        return request.user.has_perm("documents.change_issueddocument")

    @admin.action(description=_("Révoquer les documents sélectionnés"), permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = 0
        for document in queryset:
            try:
                document_revoke(
                    document=document, by=request.user,
                    reason=f"Révoqué depuis l'administration par {request.user.email}",
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                revoked += 1
        if revoked:
            self.message_user(request, ngettext(
                "%(count)d document révoqué.", "%(count)d documents révoqués.", revoked
            ) % {"count": revoked}, messages.SUCCESS)


@admin.register(LetterBatch)
class LetterBatchAdmin(admin.ModelAdmin):
    """Read-only: batches are built and printed from the printing desk (/backoffice/courriers/)."""

    list_display = ["__str__", "prefecture", "site", "status", "letters_count", "created_at", "printed_at"]
    list_filter = ["status"]
    list_select_related = ["prefecture", "site"]
    date_hierarchy = "created_at"
    exclude = ["file"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
