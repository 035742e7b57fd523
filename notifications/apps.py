from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Connects the login hook that carries the user's saved language to a new browser.
        from notifications import middleware  # noqa: F401
