from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import AuditEvent, Mandate, Membership, OneTimeCode, User
from core.admin import TabularInline


class MembershipInline(TabularInline):
    # The database constraints (membership_scope_matches_role...) refuse a scope that does not
    # match the role, so the admin cannot create an inconsistent membership.
    model = Membership
    extra = 0
    autocomplete_fields = ["prefecture", "site"]


class UserCreationAdminForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "password"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["last_name", "first_name", "id"]  # not the e-mail: some accounts have none
    list_display = ["login_id", "email", "first_name", "last_name", "email_verified_at", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "origin", "memberships__role"]
    search_fields = ["email", "login_id", "first_name", "last_name", "foreigner_number"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["login_id", "email", "password", "origin"]}),
        (_("Identité"), {"fields": ["first_name", "last_name", "birth_date", "birth_place",
                                     "nationality", "foreigner_number"]}),
        (_("Coordonnées"), {"fields": ["phone", "address", "postal_code", "city", "department"]}),
        (_("Préférences"), {"fields": ["preferred_language", "notify_by_email", "notify_by_sms",
                                        "notify_by_post"]}),
        (_("Statut"), {"fields": ["email_verified_at", "is_active", "is_staff", "is_superuser",
                                   "date_joined", "last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["login_id", "origin", "date_joined", "last_login"]
    autocomplete_fields = ["department"]
    actions = ["unblock_second_factor"]

    @admin.action(description=_("Débloquer la double authentification (après des codes erronés)"))
    def unblock_second_factor(self, request, queryset):
        done = 0
        for person in queryset:
            try:
                services.second_factor_unblock(user=person, by=request.user)
            except PermissionDenied:
                continue
            done += 1
        self.message_user(request, ngettext(
            "%(count)s compte débloqué.", "%(count)s comptes débloqués.", done) % {"count": done})


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    """Read-only: codes are made by the services and only their hash is kept."""

    list_display = ["user", "purpose", "status", "attempts", "created_at", "expires_at", "created_by"]
    list_filter = ["purpose", "status"]
    list_select_related = ["user", "created_by"]
    exclude = ["code_hash"]
    readonly_fields = ["user", "purpose", "status", "attempts", "created_at", "expires_at", "closed_at",
                       "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    """Read-only: a mandate is the person's consent, given and revoked through the services only
    (docs/accounts.md, "Mandates"); the scan of a signed form is not served here."""

    list_display = ["person", "mediator", "site", "scope", "channel", "created_at", "expires_at", "revoked_at"]
    list_filter = ["scope", "channel"]
    list_select_related = ["person", "mediator", "site"]
    search_fields = ["person__login_id", "person__last_name", "mediator__last_name"]
    exclude = ["scan"]
    readonly_fields = ["person", "mediator", "site", "scope", "dossier_id", "channel", "scan_content_type",
                       "recorded_by", "created_at", "expires_at", "revoked_at", "revoked_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor", "on_behalf_of", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor__email"]
    list_select_related = ["actor", "on_behalf_of"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
