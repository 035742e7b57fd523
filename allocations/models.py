from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal import formats
from portal.history import Transition


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

    organization = models.ForeignKey(
        "applications.Organization",
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("organisation"),
    )
    application_item = models.OneToOneField(
        "applications.ApplicationItem",
        on_delete=models.PROTECT,
        related_name="allocation",
        verbose_name=_("requested item"),
    )
    offering = models.ForeignKey(
        "pool.Offering", on_delete=models.PROTECT, related_name="allocations", verbose_name=_("offering")
    )
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
            # What ends soon (the dashboard's list, the expiry reminders and sweeper): the active
            # allocations by last day, read in the list's order without sorting the table.
            models.Index(fields=["ends_on", "id"], condition=Q(state="active"), name="allocation_active_by_end"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.offering.name} × {formats.figure(self.quantity)} ({formats.period(self.starts_on, self.ends_on)})"
        )

    @property
    def holds_capacity(self) -> bool:
        return self.state in HOLDING_STATES

    @property
    def is_provisionable(self) -> bool:
        """Pending or provisioning: the provisioner has work to do."""
        return self.state in (AllocationState.PENDING, AllocationState.PROVISIONING)

    @property
    def is_active(self) -> bool:
        return self.state == AllocationState.ACTIVE


class AllocationTransition(Transition):
    """The history of an allocation: who moved it from which state to which, when and why."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("allocation")
    )
    from_state = models.CharField(
        pgettext_lazy("status change", "from"), max_length=20, choices=AllocationState.choices, blank=True
    )
    to_state = models.CharField(pgettext_lazy("status change", "to"), max_length=20, choices=AllocationState.choices)

    class Meta(Transition.Meta):
        verbose_name = _("allocation state change")
        verbose_name_plural = _("allocation state changes")

    def __str__(self) -> str:
        return f"{self.get_from_state_display() or '—'} → {self.get_to_state_display()}"


class ProvisionedResource(models.Model):
    """The modelled data-center cloud: one quota record per provisioned allocation.

    Written by the default provisioner backend; a real backend keeps this in OpenStack,
    Kubernetes or Slurm instead. One row per allocation, so provisioning is idempotent.
    """

    allocation = models.OneToOneField(
        Allocation, on_delete=models.PROTECT, related_name="resource", verbose_name=_("allocation")
    )
    external_ref = models.CharField(max_length=200, unique=True, verbose_name=_("external reference"))
    offering_name = models.CharField(max_length=120, verbose_name=_("offering name"))
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    deprovisioned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("deprovisioned"))

    class Meta:
        verbose_name = _("provisioned resource")
        verbose_name_plural = _("provisioned resources")

    def __str__(self) -> str:
        return self.external_ref


class ExpiryReminder(models.Model):
    """That the reminder ``days_before`` the end of an allocation was sent (sent once)."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("allocation")
    )
    days_before = models.PositiveSmallIntegerField(verbose_name=_("days before the end"))
    sent_at = models.DateTimeField(default=timezone.now, verbose_name=_("sent"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["allocation", "days_before"], name="expiry_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id}: {self.days_before} days before the end"


class UsageChange(models.Model):
    """How an offering's allocated units change on a day: the units that start or stop being in
    service (active, or active then), and being provisioned (pending or provisioning).

    The dashboard's per-day figures are the running sums of these changes (``allocations.usage``
    says what each allocation contributes). Kept by triggers on the allocation table, like the
    capacity ledger (migration 0010): any INSERT, UPDATE or DELETE of an allocation moves the
    days where its contribution starts and ends, in the same statement, so an activation moves
    two rows, not every day of the allocation. ``check_capacity`` recomputes them from the
    allocations.
    """

    offering = models.ForeignKey("pool.Offering", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    in_service = models.BigIntegerField(default=0)
    being_provisioned = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("usage change")
        verbose_name_plural = _("usage changes")
        constraints = [models.UniqueConstraint(fields=["offering", "day"], name="usage_change_one_per_day")]

    def __str__(self) -> str:
        return f"{self.offering_id} {self.day}: {self.in_service:+} in service, {self.being_provisioned:+} provisioning"
