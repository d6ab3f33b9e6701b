"""Walk-in log pages under /backoffice/mediation/ (staff with a verified second factor, see
accounts.middleware); each view admits only the roles ``mediation.access`` names.

Included under its own prefix ahead of the back-office's other modules (anef/urls.py): Django tries
the patterns in order, and behind the five other ``backoffice/`` includes a mediator's page cost
about 500 Python calls to resolve (issue 17), against about 100 for the agent's queue."""

from django.urls import path

from mediation.views import figures
from mediation.views import visits as views

app_name = "mediation_backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("accueillir/", views.check_in, name="check_in"),
    path("visites/<int:pk>/", views.visit_page, name="visit"),
    path("visites/<int:pk>/compte/", views.visit_account, name="visit_account"),
    path("pan/<int:site_id>/jour/", views.day, name="today"),
    path("pan/<int:site_id>/jour/<str:day>/", views.day, name="day"),
    path("chiffres/", figures.figures_page, name="figures"),
    path("chiffres/csv/", figures.figures_csv, name="figures_csv"),
]
