from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from accounts import hooks
        from notifications.services import message_write

        # Account messages (reset and activation links, reset codes by SMS) are outbox rows too.
        hooks.register(message_send=message_write)
