from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite
from dsfr.models import DsfrConfig

from anef import views
from core.fragments import public_page
from helpcentre import views as help_views

# The Django admin requires a verified second factor too (DESIGN §2), and signs in through the
# portal's own login page, which runs the lockout and second-factor steps.
admin.site.__class__ = OTPAdminSite
# django-dsfr registers its site settings (title, notice, footer...) in the admin, but the portal
# does not read them (its templates carry their own, and dsfr's context processor is not enabled):
# a page that would edit nothing is left out.
admin.site.unregister(DsfrConfig)

urlpatterns = [
    path("", public_page()(views.HomeView.as_view()), name="home"),
    path("aide/", help_views.home, name="help"),  # the help centre's home, by its historical name
    path("aide/", include("helpcentre.urls")),
    path("accessibilite/", public_page()(views.AccessibilityView.as_view()), name="accessibility"),
    path("mentions-legales/", public_page()(views.LegalNoticeView.as_view()), name="legal_notice"),
    path("donnees-personnelles/", public_page()(views.PersonalDataView.as_view()), name="personal_data"),
    path("langue/", views.set_language, name="set_language"),
    path("healthz", views.healthz, name="healthz"),
    path("api/", include("api.urls")),
    path("livez", views.livez, name="livez"),
    path("readyz", views.readyz, name="readyz"),
    path("compte/", include("accounts.urls")),
    # Ahead of the other back-office modules, under its own prefix: resolved without trying theirs
    # (mediation/backoffice_urls.py); none of theirs starts with "mediation/".
    path("backoffice/mediation/", include("mediation.backoffice_urls")),
    path("backoffice/", include("accounts.backoffice_urls")),
    path("backoffice/", include("applications.backoffice.urls_reports")),
    path("backoffice/", include("applications.backoffice.urls")),
    path("backoffice/", include("appointments.backoffice_urls")),
    path("backoffice/", include("substitution.backoffice_urls")),
    path("backoffice/", include("documents.letters.urls")),
    path("messages/", include("notifications.urls")),
    path("rendez-vous/", include("appointments.urls")),
    path("signaler/", include("substitution.urls")),
    path("", include("applications.urls")),
    path("", include("documents.urls")),
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="accounts:login", query_string=True),
        name="admin-login-redirect",
    ),
    path("admin/", admin.site.urls),
]
