from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("demarches/", views.catalogue, name="catalogue"),
    path("demarches/<slug:code>/commencer/", views.start, name="start"),
    path("espace/", views.dashboard, name="dashboard"),
    path("dossiers/<int:pk>/", views.dossier, name="dossier"),
    path("dossiers/<int:pk>/etape/<slug:step>/", views.step, name="step"),
    path("dossiers/<int:pk>/abandonner/", views.abandon, name="abandon"),
    path("dossiers/<int:pk>/retirer/", views.withdraw, name="withdraw"),
    path("dossiers/<int:pk>/corriger/<slug:section>/<slug:field>/", views.amend, name="amend"),
    path("dossiers/<int:pk>/complements/", views.complements, name="complements"),
    path("dossiers/<int:pk>/pieces/type/<int:type_pk>/", views.upload, name="upload"),
    path("dossiers/<int:pk>/pieces/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("dossiers/<int:pk>/pieces/<int:attachment_pk>/retirer/", views.attachment_remove, name="attachment_remove"),
]
