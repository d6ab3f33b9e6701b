"""Back-office instruction under /backoffice/ (staff with a verified second factor, see
accounts.middleware); the pages themselves admit agents and supervisors only."""

from django.urls import path

from applications.backoffice.views import instruction as views
from applications.backoffice.views import supervision

app_name = "backoffice_instruction"

urlpatterns = [
    path("dossiers/", views.queue, name="queue"),
    path("dossiers/<int:pk>/", views.dossier, name="dossier"),
    path("dossiers/<int:pk>/journal/", views.journal, name="journal"),
    path("dossiers/<int:pk>/pieces/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("dossiers/<int:pk>/pieces/<int:attachment_pk>/verifier/", views.attachment_review,
         name="attachment_review"),
    path("dossiers/<int:pk>/prendre/", views.take, name="take"),
    path("dossiers/<int:pk>/attribuer/", views.assign, name="assign"),
    path("dossiers/<int:pk>/complet/", views.complete, name="complete"),
    path("dossiers/<int:pk>/complements/", views.complements, name="complements"),
    path("dossiers/<int:pk>/empreintes/", views.biometrics, name="biometrics"),
    path("dossiers/<int:pk>/decision/", views.decide, name="decide"),
    path("dossiers/<int:pk>/titre/", views.card, name="card"),
    path("dossiers/<int:pk>/prolongation/", views.extension, name="extension"),
    path("charge/", supervision.workload, name="workload"),
    path("charge/reattribuer/", supervision.reassign, name="reassign"),
]
