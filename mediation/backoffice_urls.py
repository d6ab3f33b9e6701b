"""Walk-in log pages under /backoffice/ (staff with a verified second factor, see
accounts.middleware); each view admits only the roles ``mediation.access`` names."""

from django.urls import path

from mediation.views import figures
from mediation.views import visits as views

app_name = "mediation_backoffice"

urlpatterns = [
    path("mediation/", views.home, name="home"),
    path("mediation/accueillir/", views.check_in, name="check_in"),
    path("mediation/visites/<int:pk>/", views.visit_page, name="visit"),
    path("mediation/visites/<int:pk>/compte/", views.visit_account, name="visit_account"),
    path("mediation/pan/<int:site_id>/jour/", views.day, name="today"),
    path("mediation/pan/<int:site_id>/jour/<str:day>/", views.day, name="day"),
    path("mediation/chiffres/", figures.figures_page, name="figures"),
    path("mediation/chiffres/csv/", figures.figures_csv, name="figures_csv"),
]
