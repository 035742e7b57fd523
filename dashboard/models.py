from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    """No table: the holder of the permission to open the operator's dashboard (/ops/), so that
    access is granted like any other permission (the Operators group has it)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboard", _("Can view the operator dashboard"))]
        verbose_name = _("operator dashboard")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
