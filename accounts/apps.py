from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import roles, staff_sessions  # noqa: F401 (staff_sessions connects the login hook)

        post_migrate.connect(roles.sync_roles, dispatch_uid="accounts.sync_roles")
