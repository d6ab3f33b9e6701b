from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("espace/", views.dashboard, name="dashboard"),
]
