"""Report pages under /backoffice/ (staff with a verified second factor, see accounts.middleware);
each view admits only the roles ``substitution.access`` names."""

from django.urls import path

from substitution.views import anomalies as anomaly_views
from substitution.views import figures, paper
from substitution.views import reports as views

app_name = "substitution_backoffice"

urlpatterns = [
    path("signalements/", views.queue, name="queue"),
    path("signalements/chiffres/", figures.figures_page, name="figures"),
    path("signalements/chiffres/csv/", figures.figures_csv, name="figures_csv"),
    path("signalements/nouveau/", views.record, name="record"),
    # Before "signalements/<reference>/", which would take "anomalies" for a reference.
    path("signalements/anomalies/", anomaly_views.ranking, name="anomalies"),
    path("signalements/anomalies/<int:pk>/", anomaly_views.detail, name="anomaly"),
    path("signalements/anomalies/<int:pk>/contournement/", anomaly_views.workaround, name="anomaly_workaround"),
    path("signalements/anomalies/<int:pk>/corriger/", anomaly_views.fix, name="anomaly_fix"),
    path("signalements/anomalies/<int:pk>/rattacher/", anomaly_views.link_report, name="anomaly_link_report"),
    path("signalements/<str:reference>/enregistre/", views.recorded, name="recorded"),
    path("signalements/<str:reference>/", views.detail, name="detail"),
    path("signalements/<str:reference>/repondre/", views.answer, name="answer"),
    path("signalements/<str:reference>/resoudre/", views.resolve, name="resolve"),
    path("signalements/<str:reference>/non-resolu/", views.mark_unresolved, name="unresolved"),
    path("signalements/<str:reference>/anomalie/", views.link_anomaly, name="link_anomaly"),
    path("signalements/<str:reference>/pieces/<int:pk>/", views.evidence, name="evidence"),
    path("signalements/<str:reference>/impossibilite/", paper.impossibility, name="impossibility"),
    path("signalements-sans-creneau/", paper.without_slot, name="without_slot"),
]

# Paper intake at the desk (substitution/views/intake.py).
from substitution.views import intake as intake_views  # noqa: E402

urlpatterns += [
    path("signalements/depot-papier/<int:pk>/", intake_views.register, name="intake"),
    path("signalements/depot-papier/<int:pk>/enregistre/", intake_views.registered, name="intake_registered"),
]
