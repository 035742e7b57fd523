from django.db import models
from django.utils.translation import gettext_lazy as _


class OfferingKind(models.TextChoices):
    GPU = "gpu", _("GPU compute")
    CPU = "cpu", _("CPU compute")
    STORAGE = "storage", _("Storage")
    AI_DEV_ENV = "ai_dev_env", _("AI development environment")
    DATA_LAKE = "data_lake", _("Data lake")
    SAAS = "saas", _("SaaS")


class OfferingUnit(models.TextChoices):
    GPU = "gpu", _("GPU")
    CORE = "core", _("core")
    TB = "tb", _("TB")
    SEAT = "seat", _("seat")


class Offering(models.Model):
    """Something the data center grants: GPU compute, CPU, storage, a development environment…

    The capacity pool (units over time) is modelled on top of this in the allocation engine.
    """

    Kind = OfferingKind
    Unit = OfferingUnit

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=OfferingKind.values), name="offering_kind_valid"),
            models.CheckConstraint(condition=models.Q(unit__in=OfferingUnit.values), name="offering_unit_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_unit_display()})"
