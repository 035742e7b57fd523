from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # The schema's descriptions of the authentication classes (drf-spectacular extensions).
        from api import schema  # noqa: F401
