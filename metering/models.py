"""What each allocation used, per day: GPU-hours, CPU core-hours, storage TB held, seats used.

``UsageRecord`` is what a usage source reported for one allocation and day (one row per
allocation, day and source, so collecting a day again replaces its rows). ``OfferingDayUsage``
and ``AllocationUsage`` are totals kept at ingestion (``metering.services.usage_ingest``) by the
difference between the old and the new record, so that the dashboards read a bounded number of
rows instead of summing the records; ``check_usage`` recomputes them from the records.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UsageSource(models.TextChoices):
    MODELLED = "modelled", _("Modelled cloud")
    PROMETHEUS = "prometheus", _("Prometheus")
    SLURM = "slurm", _("Slurm")


class UsageRecord(models.Model):
    """The units one allocation used on one day, as one source reported them: GPU-hours or
    core-hours for compute, TB held for storage, seats used for seats."""

    Source = UsageSource

    allocation = models.ForeignKey(
        "allocations.Allocation",
        on_delete=models.CASCADE,
        related_name="usage_records",
        verbose_name=_("allocation"),
    )
    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    used = models.DecimalField(_("used"), max_digits=14, decimal_places=3)
    collected_at = models.DateTimeField(_("collected"), default=timezone.now)

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["-day", "allocation"]
        constraints = [
            models.UniqueConstraint(fields=["allocation", "day", "source"], name="usage_record_one_per_source_day"),
            models.CheckConstraint(condition=Q(used__gte=0), name="usage_record_used_not_negative"),
            models.CheckConstraint(condition=Q(source__in=UsageSource.values), name="usage_record_source_valid"),
        ]
        indexes = [
            models.Index(fields=["allocation", "day"], name="usage_record_allocation_day"),
            # A day's records of one source: what collecting the day again replaces.
            models.Index(fields=["day", "source"], name="usage_record_day_source"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id} {self.day} {self.source}: {self.used}"


class OfferingDayUsage(models.Model):
    """The units all allocations of an offering used on a day: the sum of their records, kept at
    ingestion so that a chart over years reads one row per offering and day."""

    offering = models.ForeignKey(
        "pool.Offering", on_delete=models.PROTECT, related_name="day_usage", verbose_name=_("offering")
    )
    day = models.DateField(_("day"))
    used = models.DecimalField(_("used"), max_digits=16, decimal_places=3, default=0)

    class Meta:
        verbose_name = _("offering usage per day")
        verbose_name_plural = _("offering usage per day")
        ordering = ["offering", "day"]
        constraints = [models.UniqueConstraint(fields=["offering", "day"], name="offering_day_usage_one_per_day")]

    def __str__(self) -> str:
        return f"{self.offering_id} {self.day}: {self.used}"


class AllocationUsage(models.Model):
    """An allocation's usage so far: the sum of its records, the latest day collected and the
    latest day with any use (the idle list and the reclaim policy read it)."""

    allocation = models.OneToOneField(
        "allocations.Allocation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="usage",
        verbose_name=_("allocation"),
    )
    used_total = models.DecimalField(_("used in total"), max_digits=16, decimal_places=3, default=0)
    last_day = models.DateField(_("last day collected"), null=True, blank=True)
    last_used_on = models.DateField(_("last day used"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation usage")
        verbose_name_plural = _("allocation usage")

    def __str__(self) -> str:
        return f"{self.allocation_id}: {self.used_total}"


class UsageNoticeKind(models.TextChoices):
    USED_80 = "used_80", _("80 % of the budget used")
    USED_100 = "used_100", _("100 % of the budget used")
    LOW_30_DAYS = "low_30_days", _("Less than 30 % used in the last 30 days")


class UsageNotice(models.Model):
    """That a usage e-mail of a kind was sent for an allocation (each kind at most once)."""

    Kind = UsageNoticeKind

    allocation = models.ForeignKey(
        "allocations.Allocation",
        on_delete=models.CASCADE,
        related_name="usage_notices",
        verbose_name=_("allocation"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    sent_on = models.DateField(_("sent on"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("usage notice")
        verbose_name_plural = _("usage notices")
        constraints = [
            models.UniqueConstraint(fields=["allocation", "kind"], name="usage_notice_once"),
            models.CheckConstraint(condition=Q(kind__in=UsageNoticeKind.values), name="usage_notice_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.allocation_id}: {self.get_kind_display()}"
