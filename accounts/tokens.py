from django.contrib.auth.tokens import PasswordResetTokenGenerator

#: Stands for a token or code in a message written to the outbox: the message's delivery puts a
#: fresh one in its place (notifications.secrets), so the secret is never stored nor queued.
#: A URL-safe word that no template writes otherwise.
SECRET_PLACEHOLDER = "outbox-secret-placeholder"  # noqa: S105 - a placeholder, not a secret


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """One-use link: the token hashes the verification state, so it dies once the address is verified
    (and when the address changes). Valid for ``PASSWORD_RESET_TIMEOUT`` seconds."""

    key_salt = "accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{user.pk}{user.email}{user.email_verified_at}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()
