"""The agents' endpoints (``/api/v1/backoffice/…``): the queue and the file actions.

Every view here uses ``api.permissions.IsVerifiedStaff`` and reaches a dossier only through the
back-office's access-checked getters (``applications.backoffice.selectors``), calling the same
services as the back-office pages (``applications.services.instruction``).
"""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
