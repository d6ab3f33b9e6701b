from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from accounts import hooks
        from notifications.services import sms_send_direct

        # Password-reset codes for people without e-mail leave by the SMS adapter (accounts.hooks).
        hooks.register(sms_send=sms_send_direct)
