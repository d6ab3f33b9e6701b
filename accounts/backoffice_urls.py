"""URLs under /backoffice/: staff only, second factor required (accounts.middleware)."""

from django.urls import path

from accounts import mandate_views, views

app_name = "backoffice"

urlpatterns = [
    path("", views.backoffice_home, name="home"),
    path("agents/<int:pk>/debloquer-double-authentification/", views.second_factor_unblock,
         name="second_factor_unblock"),
    path("personnes/nouveau-compte/", views.person_account_create, name="person_account_create"),
    path("personnes/nouveau-code/", views.activation_reissue, name="activation_reissue"),
    path("personnes/<int:pk>/compte-cree/", views.person_account_created, name="person_account_created"),
    path("personnes/<int:pk>/lettre-de-bienvenue/", views.welcome_letter_print, name="welcome_letter_print"),
    path("personnes/mandats/", mandate_views.mediator_mandates, name="mandates"),
    path("personnes/mandats/code/", mandate_views.mandate_receive_code, name="mandate_receive_code"),
    path("personnes/mandats/formulaire-signe/", mandate_views.mandate_receive_form, name="mandate_receive_form"),
    path("personnes/mandats/<int:pk>/agir/", mandate_views.assisted_session_start, name="assisted_session_start"),
    path("personnes/mandats/terminer/", mandate_views.assisted_session_end, name="assisted_session_end"),
]
