from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.models import Notification
from notifications.selectors import outbox_metrics
from notifications.services import notifications_retry


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by services and workers, never by hand. The one thing an
    administrator does is send a failed message again (the "retry" action); the list opens on
    the outbox's figures (due, sent and failed in 24 h, oldest waiting)."""

    list_display = ["created_at", "recipient", "event", "channel", "status", "attempts", "next_attempt_at",
                    "sent_at"]
    # "Préfecture qui imprime le courrier: vide": the letters no desk prints (no address known).
    list_filter = ["status", "channel", "event", ("letter_prefecture", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "contact_email", "event", "object_id"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted row would be sent again by the next notify() of the same event

    def has_retry_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(description=_("Renvoyer les messages en échec"), permissions=["retry"])
    def retry(self, request, queryset):
        count = notifications_retry(ids=list(queryset.values_list("id", flat=True)), by=request.user)
        self.message_user(request, ngettext(
            "%(count)s message renvoyé.", "%(count)s messages renvoyés.", count) % {"count": count})

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, extra_context={**(extra_context or {}),
                                                               "outbox_metrics": outbox_metrics()})
