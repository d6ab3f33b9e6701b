"""URLs under /backoffice/: staff only, second factor required (accounts.middleware)."""

from django.urls import path

from accounts import views

app_name = "backoffice"

urlpatterns = [
    path("", views.backoffice_home, name="home"),
    path("agents/<int:pk>/debloquer-double-authentification/", views.second_factor_unblock,
         name="second_factor_unblock"),
]
