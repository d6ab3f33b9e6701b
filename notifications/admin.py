from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by services and workers, never by hand."""

    list_display = ["created_at", "recipient", "event", "channel", "status", "attempts", "sent_at"]
    # "Préfecture qui imprime le courrier: vide": the letters no desk prints (no address known).
    list_filter = ["channel", "status", ("letter_prefecture", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "contact_email", "event", "object_id"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted row would be sent again by the next notify() of the same event
