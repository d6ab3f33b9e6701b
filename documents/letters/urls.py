from django.urls import path

from documents.letters import views

app_name = "letters_backoffice"

urlpatterns = [
    path("courriers/", views.desk, name="desk"),
    path("courriers/lots/", views.batch_build, name="build"),
    path("courriers/lots/<int:pk>/pdf/", views.batch_download, name="download"),
    path("courriers/lots/<int:pk>/imprime/", views.batch_mark_printed, name="mark_printed"),
]
