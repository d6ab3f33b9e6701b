from django.contrib import admin

from .models import Permit


@admin.register(Permit)
class PermitAdmin(admin.ModelAdmin):
    list_display = ["number", "category", "holder", "valid_from", "valid_until", "allows_work"]
    list_filter = ["category", "allows_work"]
    search_fields = ["number", "holder__email", "holder__last_name"]
    list_select_related = ["holder"]
    raw_id_fields = ["holder"]
