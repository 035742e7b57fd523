import shutil

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
            source = source_class(settings.USAGE_SOURCE)
        except ImportError as error:
            raise ImproperlyConfigured(
                f"USAGE_SOURCE={settings.USAGE_SOURCE!r} names no usage source "
                f"(modelled, prometheus, slurm, or a dotted path to a source class): {error}"
            ) from None
        from metering.sources.slurm import SlurmSource

        if issubclass(source, SlurmSource) and shutil.which(settings.SLURM_SACCT) is None:
            raise ImproperlyConfigured(
                f"USAGE_SOURCE={settings.USAGE_SOURCE} needs sacct: "
                f"SLURM_SACCT={settings.SLURM_SACCT!r} is not a command here."
            )
