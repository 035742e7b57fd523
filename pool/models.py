"""The capacity pool: what the data center grants (offerings), how much of each it has over time
(capacity phases) and, per offering and day, what allocations hold of it (the ledger).

The tables keep the names they had in the allocation engine's app (``db_table``): the ledger's
triggers (allocations/migrations/0003 and 0005) are written against them.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal import formats
from portal.history import SettingChange


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


class OfferingMetering(models.TextChoices):
    """How an offering's use is measured against what was granted (the ``metering`` app)."""

    # The units are held for the period: utilisation = used unit-hours / (quantity × 24 × days) for
    # GPUs and cores, TB held / quantity for storage, seats used / quantity for seats.
    RESERVED = "reserved", _("Reserved for the period")
    # A budget of unit-hours (quantity × 24 × service days), e-mailed at 80 % and 100 % used.
    METERED = "metered", _("Metered against a budget")


class Offering(models.Model):
    """Something the data center grants: GPU compute, CPU, storage, a development environment…

    Its capacity over time is a list of phases (from a date, N units); compute offerings also
    know the performance of one unit, so totals can be reported in PF.
    """

    Kind = OfferingKind
    Unit = OfferingUnit
    Metering = OfferingMetering

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    description = models.TextField(_("description"), blank=True)
    unit_tflops = models.DecimalField(
        _("TFLOPS per unit"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Peak performance of one unit, for compute offerings (reported in PF)."),
    )
    metering = models.CharField(
        _("metering"),
        max_length=10,
        choices=Metering.choices,
        default=Metering.RESERVED,
        help_text=_("Reserved: the units are held for the whole period. Metered: a budget of unit-hours to use."),
    )

    class Meta:
        db_table = "allocations_offering"
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=OfferingKind.values), name="offering_kind_valid"),
            models.CheckConstraint(condition=models.Q(unit__in=OfferingUnit.values), name="offering_unit_valid"),
            models.CheckConstraint(
                condition=models.Q(metering__in=OfferingMetering.values), name="offering_metering_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_unit_display()})"


class CapacityPhase(models.Model):
    """From ``starts_on`` on, the offering has ``units`` (until the next phase).

    Changes here reach the capacity ledger through a database trigger, and the ledger's CHECK
    refuses a phase that would leave less capacity than is already allocated. They are made by
    ``pool.services.capacity_phases_set``, which records who changed what (``CapacityChange``).
    """

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="phases", verbose_name=_("offering"))
    starts_on = models.DateField(_("from"))
    units = models.PositiveIntegerField(_("units"))
    is_modelled = models.BooleanField(
        _("modelled"), default=False, help_text=_("A modelled figure between announced ones, not an announced one.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        db_table = "allocations_capacityphase"
        verbose_name = _("capacity phase")
        verbose_name_plural = _("capacity phases")
        ordering = ["offering", "starts_on"]
        constraints = [models.UniqueConstraint(fields=["offering", "starts_on"], name="capacity_phase_one_per_day")]

    def __str__(self) -> str:
        return f"{self.offering.name}: {self.units} from {self.starts_on}"


class CapacityLedger(models.Model):
    """One offering on one day: its capacity and what allocations hold of it.

    ``reserved`` is kept equal to the sum of the quantities of the allocations that hold
    capacity (pending, provisioning or active) and cover the day, by a trigger on the allocation
    table; ``capacity`` follows the phases by a trigger on the phase table. The CHECK
    ``reserved <= capacity`` is the guarantee: no statement, from any process, can over-commit.
    Rows are created on demand for the days an allocation needs.
    """

    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="ledger", verbose_name=_("offering"))
    day = models.DateField(verbose_name=_("day"))
    capacity = models.PositiveIntegerField(verbose_name=_("capacity"))
    reserved = models.PositiveIntegerField(default=0, verbose_name=_("allocated"))

    class Meta:
        db_table = "allocations_capacityledger"
        verbose_name = _("capacity ledger day")
        verbose_name_plural = _("capacity ledger")
        ordering = ["offering", "day"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "day"], name="capacity_ledger_one_per_day"),
            models.CheckConstraint(condition=Q(reserved__lte=F("capacity")), name="capacity_ledger_not_overcommitted"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="capacity_ledger_reserved_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.offering_id} {self.day}: {self.reserved}/{self.capacity}"


class CapacityChange(SettingChange):
    """The history of an offering's capacity: who replaced its phases, when, from what to what
    (the phases as "start date: units" lines)."""

    offering = models.ForeignKey(
        Offering, on_delete=models.CASCADE, related_name="capacity_changes", verbose_name=_("offering")
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta(SettingChange.Meta):
        verbose_name = _("capacity change")
        verbose_name_plural = _("capacity changes")

    def __str__(self) -> str:
        return f"{self.offering_id} · {formats.moment(self.created_at)}"
