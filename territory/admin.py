from django.contrib import admin

from .models import Department, Prefecture, Site


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    search_fields = ["code", "name"]


@admin.register(Prefecture)
class PrefectureAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "department"]
    search_fields = ["name", "city", "department__code"]
    list_select_related = ["department"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "prefecture", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "city", "prefecture__name"]
    list_select_related = ["prefecture"]
