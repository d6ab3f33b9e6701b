"""Back-office reports under /backoffice/: statistics and CSV exports of the queue.

Staff only, second factor required (accounts.middleware.StaffSecondFactorMiddleware); agents and
supervisors of a prefecture only (``instructing_staff_required``)."""

from django.urls import path

from applications.backoffice.views import reports

app_name = "backoffice_reports"

urlpatterns = [
    path("statistiques/", reports.statistics_page, name="statistics"),
    path("exports/", reports.exports_page, name="exports"),
    path("exports/<int:pk>/", reports.export_download, name="export_download"),
]
