"""``/api/v1/``: one module per audience, each with its own ``urlpatterns``.

- ``applicant``: a person's own permits, dossiers, drafts, documents, appointments and messages
  (also for a mediator, under a mandate: ``api.onbehalf``);
- ``backoffice``: the agents' queue and file actions (staff with a verified second factor);
- ``public``: what anyone may ask (certificate verification).
"""

from django.urls import include, path

urlpatterns = [
    path("", include("api.v1.applicant")),
    path("", include("api.v1.public")),
    # The agents' endpoints: their queue and file actions, under "backoffice/".
    path("", include("api.v1.backoffice")),
]
