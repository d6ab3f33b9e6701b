"""Back-office reports under /backoffice/: statistics and CSV exports of the queue.

Staff only, second factor required (accounts.middleware.StaffSecondFactorMiddleware); agents and
supervisors of a prefecture only (the views check their memberships)."""

from django.urls import path

from applications.backoffice import exports, statistics

app_name = "backoffice_reports"

urlpatterns = [
    path("statistiques/", statistics.statistics_page, name="statistics"),
    path("exports/", exports.exports_page, name="exports"),
    path("exports/<int:pk>/", exports.export_download, name="export_download"),
]
