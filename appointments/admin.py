from django.contrib import admin

from core.admin import TabularInline

from .models import Booking, Closure, Desk, Motive, OpeningRule, Slot


@admin.register(Motive)
class MotiveAdmin(admin.ModelAdmin):
    list_display = ["code", "duration_minutes", "self_bookable"]


class OpeningRuleInline(TabularInline):
    model = OpeningRule
    extra = 0


@admin.register(Desk)
class DeskAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "site__name"]
    autocomplete_fields = ["site"]
    inlines = [OpeningRuleInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["site", "desk", "starts_on", "ends_on", "reason"]
    autocomplete_fields = ["site"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = ["desk", "motive", "starts_at", "capacity", "booked", "is_cancelled"]
    list_filter = ["motive", "is_cancelled"]
    list_select_related = ["desk__site", "motive"]

    def has_change_permission(self, request, obj=None):
        return False  # seats change only through the booking services


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["person_name", "motive", "slot", "kind", "status"]
    list_filter = ["status", "kind", "motive"]
    list_select_related = ["slot__desk__site", "motive"]
    search_fields = ["person_name", "person__email", "subject_id"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
