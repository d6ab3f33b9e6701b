"""Who may call what (ADR 0010). Every API view starts from ``IsPerson`` (the default permission):
signed in, and a member of staff only with a verified second factor, whatever the endpoint. The
answers come from ``accounts.permissions``, the project's one place for them.

- ``IsPerson``: any signed-in person; staff only with a verified second factor.
- ``IsVerifiedStaff``: staff with a verified second factor (the back-office endpoints add their
  role checks through the access-checked getters and services, as the back-office pages do).

Objects outside a person's reach are not a permission's business: the access-checked getters of
the apps answer 404 (``api.errors``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from accounts.permissions import second_factor_verified, staff_verified
from accounts.selectors import user_is_staff_member


class IsPerson(BasePermission):
    message = _("Un agent doit valider son second facteur avant d'utiliser l'API.")
    code = "second_factor_required"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return second_factor_verified(user=user) or not user_is_staff_member(user=user)


class IsVerifiedStaff(BasePermission):
    message = _("Réservé aux agents de l'administration, après validation de leur second facteur.")
    code = "staff_only"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and staff_verified(user=request.user))
