from django.urls import path

from accounts import mandate_views, token_views, views

app_name = "accounts"

urlpatterns = [
    path("inscription/", views.sign_up, name="sign_up"),
    path("inscription/envoyee/", views.sign_up_done, name="sign_up_done"),
    path("confirmation/renvoyer/", views.resend_verification, name="resend_verification"),
    path("confirmation/<uidb64>/<token>/", views.verify_email, name="verify_email"),
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("profil/", views.profile, name="profile"),
    path("mot-de-passe/modifier/", views.PasswordChangeView.as_view(), name="password_change"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oublie/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("activer/", views.activate, name="activate"),
    path("mot-de-passe/sms/", views.password_reset_sms, name="password_reset_sms"),
    path("mot-de-passe/sms/code/", views.password_reset_sms_confirm, name="password_reset_sms_confirm"),
    path("cles-api/", token_views.api_tokens, name="api_tokens"),
    path("cles-api/<int:pk>/revoquer/", token_views.api_token_revoke_view, name="api_token_revoke"),
    path("mandats/", mandate_views.person_mandates, name="mandates"),
    path("mandats/<int:pk>/revoquer/", mandate_views.person_mandate_revoke, name="mandate_revoke"),
    path("double-authentification/activer/", views.totp_enrol, name="totp_enrol"),
    path("double-authentification/verifier/", views.totp_verify, name="totp_verify"),
    path("double-authentification/codes-de-secours/", views.backup_codes, name="backup_codes"),
]
