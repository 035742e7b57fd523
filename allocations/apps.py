import shutil

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class AllocationsConfig(AppConfig):
    name = "allocations"
    verbose_name = _("Allocations")

    def ready(self) -> None:
        # Every process (web, worker, beat, manage.py) loads the apps: a misspelt backend stops
        # it here, instead of leaving every allocation pending while the sweeper retries it.
        from allocations.backends import provisioner_class

        try:
            backend = provisioner_class(settings.PROVISIONER_BACKEND)
        except ImportError as error:
            raise ImproperlyConfigured(
                f"PROVISIONER_BACKEND={settings.PROVISIONER_BACKEND!r} names no provisioner class: {error}"
            ) from None
        from allocations.backends.slurm import SlurmProvisioner

        if issubclass(backend, SlurmProvisioner) and shutil.which(settings.SLURM_SACCTMGR) is None:
            raise ImproperlyConfigured(
                f"PROVISIONER_BACKEND={settings.PROVISIONER_BACKEND} needs sacctmgr: "
                f"SLURM_SACCTMGR={settings.SLURM_SACCTMGR!r} is not a command here."
            )
