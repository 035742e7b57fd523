from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class MeteringConfig(AppConfig):
    name = "metering"
    verbose_name = _("Usage metering")

    def ready(self) -> None:
        # Every process loads the apps: a misspelt source stops it here, instead of failing every
        # night's collection.
        from metering.sources import source_class

        try:
            source_class(settings.USAGE_SOURCE)
        except ImportError as error:
            raise ImproperlyConfigured(
                f"USAGE_SOURCE={settings.USAGE_SOURCE!r} names no usage source "
                f"(modelled, prometheus, or a dotted path to a source class): {error}"
            ) from None
