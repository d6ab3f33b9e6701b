from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("documents/<int:pk>/pdf/", views.download, name="download"),
    path("verifier/", views.verify, name="verify"),
    path("verifier/q/<str:token>/", views.verify_token, name="verify_token"),
]
