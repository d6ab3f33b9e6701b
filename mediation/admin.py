from django.contrib import admin

from .models import Visit


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    """Read only: the log is written by the mediators' pages, whose services audit every change."""

    list_display = ["arrived_at", "site", "visitor_name", "need", "outcome", "duration_minutes", "mediator"]
    list_filter = ["need", "outcome", "site__prefecture"]
    list_select_related = ["site", "person", "mediator"]
    date_hierarchy = "arrived_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
