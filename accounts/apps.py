from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Connects the login hook that starts a staff session's idle clock.
        from accounts import staff_sessions  # noqa: F401
