from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
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

    Its capacity over time is a list of phases (from a date, N units); compute offerings also
    know the performance of one unit, so totals can be reported in PF.
    """

    Kind = OfferingKind
    Unit = OfferingUnit

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


class CapacityPhase(models.Model):
    """From ``starts_on`` on, the offering has ``units`` (until the next phase).

    Changes here reach the capacity ledger through a database trigger, and the ledger's CHECK
    refuses a phase that would leave less capacity than is already allocated.
    """

    offering = models.ForeignKey(Offering, on_delete=models.CASCADE, related_name="phases")
    starts_on = models.DateField(_("from"))
    units = models.PositiveIntegerField(_("units"))
    is_modelled = models.BooleanField(
        _("modelled"), default=False, help_text=_("A modelled figure between announced ones, not an announced one.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
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

    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="ledger")
    day = models.DateField()
    capacity = models.PositiveIntegerField()
    reserved = models.PositiveIntegerField(default=0)

    class Meta:
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


class AllocationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    FAILED = "failed", _("Failed")


# States whose allocations hold their capacity in the ledger (mirrored in the ledger triggers).
HOLDING_STATES = (AllocationState.PENDING, AllocationState.PROVISIONING, AllocationState.ACTIVE)


class Allocation(models.Model):
    """A quota granted to an organisation: ``quantity`` units of an offering from ``starts_on``
    to ``ends_on`` (inclusive). Made by approving an application item; provisioned by a job."""

    State = AllocationState

    organization = models.ForeignKey("applications.Organization", on_delete=models.PROTECT, related_name="allocations")
    application_item = models.OneToOneField(
        "applications.ApplicationItem", on_delete=models.PROTECT, related_name="allocation"
    )
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.PositiveIntegerField(_("quantity"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    external_ref = models.CharField(_("external reference"), max_length=200, blank=True)
    attempts = models.PositiveIntegerField(_("provisioning attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    state_changed_at = models.DateTimeField(_("state changed"), default=timezone.now)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AllocationState.values), name="allocation_state_valid"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive"),
            models.CheckConstraint(condition=Q(starts_on__lte=F("ends_on")), name="allocation_period_ordered"),
        ]
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
            models.Index(fields=["offering", "state", "ends_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.offering.name} × {self.quantity} ({self.starts_on} – {self.ends_on})"

    @property
    def holds_capacity(self) -> bool:
        return self.state in HOLDING_STATES


class AllocationTransition(models.Model):
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_state = models.CharField(_("from"), max_length=20, choices=AllocationState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=AllocationState.choices)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("allocation state change")
        verbose_name_plural = _("allocation state changes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class ProvisionedResource(models.Model):
    """The modelled data-center cloud: one quota record per provisioned allocation.

    Written by the default provisioner backend; a real backend keeps this in OpenStack,
    Kubernetes or Slurm instead. One row per allocation, so provisioning is idempotent.
    """

    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="resource")
    external_ref = models.CharField(max_length=200, unique=True)
    offering_name = models.CharField(max_length=120)
    quantity = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    deprovisioned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("provisioned resource")
        verbose_name_plural = _("provisioned resources")

    def __str__(self) -> str:
        return self.external_ref


class ExpiryReminder(models.Model):
    """That the reminder ``days_before`` the end of an allocation was sent (sent once)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["allocation", "days_before"], name="expiry_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id}: {self.days_before} days before the end"
