from django.urls import path

from substitution.views import paper
from substitution.views import reports as views

app_name = "substitution"

urlpatterns = [
    path("", views.report, name="report"),
    path("envoye/<str:reference>/", views.created, name="created"),
    path("suivi/<str:reference>/<str:secret>/", views.follow, name="follow"),
    path("suivi/<str:reference>/<str:secret>/reouvrir/", views.follow_reopen, name="follow_reopen"),
    path("suivi/<str:reference>/<str:secret>/pieces/<int:pk>/", views.follow_evidence, name="follow_evidence"),
    path("mes-signalements/", views.mine, name="mine"),
    path("mes-signalements/<str:reference>/", views.mine_detail, name="mine_detail"),
    path("mes-signalements/<str:reference>/reouvrir/", views.mine_reopen, name="mine_reopen"),
    path("mes-signalements/<str:reference>/pieces/<int:pk>/", views.mine_evidence, name="mine_evidence"),
    path("suivi/<str:reference>/<str:secret>/autre-date/", paper.follow_another_date, name="follow_another_date"),
    path("suivi/<str:reference>/<str:secret>/convocations/<int:pk>/", paper.follow_letter, name="follow_letter"),
    path("mes-signalements/<str:reference>/autre-date/", paper.mine_another_date, name="mine_another_date"),
]
