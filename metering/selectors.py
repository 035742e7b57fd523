"""Reads of usage: what an allocation used against what it was granted, per day and over a period.

*Granted per day* is what an allocation may use in one day of service: ``quantity × 24`` unit-hours
for units measured in hours of use (GPUs, CPU cores), ``quantity`` for units held (storage TB,
seats), whose daily figure is what was held or used that day. *Utilisation* over days is then the
sum of what was used divided by the sum of what was granted on those days: used GPU-hours over
granted GPU-hours, the mean TB held over the TB granted. For a METERED offering the granted total
of the whole service period is its budget.

The days of service are those on which the allocation is in service (``allocations.usage``): its
period, until the day before it was revoked; an allocation still pending has none yet.

Records of different sources add up: a source reports the allocations it measures.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Max, Sum

from allocations.models import Allocation, UsageChange
from allocations.usage import usage_span
from metering.models import AllocationUsage, OfferingDayUsage, UsageRecord
from pool.models import Offering, OfferingUnit

# Units whose use is counted in hours of one unit (GPU-hours, core-hours).
HOUR_METERED_UNITS = (OfferingUnit.GPU, OfferingUnit.CORE)
HOURS_PER_DAY = 24


class DayUsage(NamedTuple):
    day: date
    used: Decimal | None  # None: not collected yet
    granted: Decimal


@dataclass(frozen=True)
class Utilisation:
    used: Decimal
    granted: Decimal

    @property
    def ratio(self) -> Decimal | None:
        """used / granted; None when nothing was granted in the period."""
        return self.used / self.granted if self.granted else None


def units_per_day(unit: str, quantity: int) -> Decimal:
    """What ``quantity`` units of ``unit`` grant in one day (see the module's docstring)."""
    return Decimal(quantity * HOURS_PER_DAY if unit in HOUR_METERED_UNITS else quantity)


def granted_per_day(allocation: Allocation) -> Decimal:
    """What the allocation may use in one day of service: quantity × 24 for hour-metered units,
    quantity otherwise. Reads ``allocation.offering`` (select it with the allocation)."""
    return units_per_day(allocation.offering.unit, allocation.quantity)


def service_days(allocation: Allocation) -> tuple[date, date] | None:
    """The first and last day on which the allocation is in service; None if it has none."""
    span = usage_span(
        offering_id=allocation.offering_id,
        state=allocation.state,
        quantity=allocation.quantity,
        starts_on=allocation.starts_on,
        ends_on=allocation.ends_on,
        state_changed_at=allocation.state_changed_at,
    )
    if span is None or not span.in_service:
        return None
    return span.first, span.last


def daily_usage(allocation: Allocation) -> list[DayUsage]:
    """Every day of the allocation's service period, with what it used (the sum over sources;
    None for a day not collected yet) and what it was granted that day. One query."""
    days = service_days(allocation)
    if days is None:
        return []
    first, last = days
    used_per_day = dict(
        UsageRecord.objects.filter(allocation=allocation, day__range=(first, last))
        .order_by()
        .values_list("day")
        .annotate(used=Sum("used"))
        .values_list("day", "used")
    )
    granted = granted_per_day(allocation)
    return [
        DayUsage(first + timedelta(days=n), used_per_day.get(first + timedelta(days=n)), granted)
        for n in range((last - first).days + 1)
    ]


def utilisation(allocation_ids: list[int], start: date, end: date) -> dict[int, Utilisation]:
    """Per allocation, what it used and was granted on its days of service from ``start`` to
    ``end`` (inclusive). Two queries whatever the number of allocations."""
    allocations = Allocation.objects.filter(pk__in=allocation_ids).select_related("offering").order_by()
    used = dict(
        UsageRecord.objects.filter(allocation_id__in=allocation_ids, day__range=(start, end))
        .order_by()
        .values_list("allocation_id")
        .annotate(used=Sum("used"))
        .values_list("allocation_id", "used")
    )
    result: dict[int, Utilisation] = {}
    for allocation in allocations:
        days = service_days(allocation)
        granted = Decimal(0)
        if days is not None:
            first, last = max(days[0], start), min(days[1], end)
            if first <= last:
                granted = granted_per_day(allocation) * ((last - first).days + 1)
        result[allocation.pk] = Utilisation(used=used.get(allocation.pk, Decimal(0)), granted=granted)
    return result


GROUPS = {
    "allocation": "pk",
    "organization": "organization_id",
    "offering": "offering_id",
    "call": "application_item__application__call_id",
}


def utilisation_by(
    group: str, start: date, end: date, allocation_ids: list[int] | None = None
) -> dict[int, Utilisation]:
    """Used and granted from ``start`` to ``end`` (inclusive) per ``group``: "allocation",
    "organization", "offering" or "call" (id -> Utilisation), over the allocations in service on
    any of those days (or only ``allocation_ids``). Two queries whatever the number of allocations:
    the records summed per group in the database, the grants computed from the allocations' rows."""
    key = GROUPS[group]
    allocations = Allocation.objects.filter(starts_on__lte=end, ends_on__gte=start)
    if allocation_ids is not None:
        allocations = allocations.filter(pk__in=allocation_ids)
    records = UsageRecord.objects.filter(day__range=(start, end), allocation__in=allocations)
    used = dict(
        records.order_by()
        .values_list(f"allocation__{key}" if key != "pk" else "allocation_id")
        .annotate(used=Sum("used"))
        .values_list(f"allocation__{key}" if key != "pk" else "allocation_id", "used")
    )
    fields = (key, "offering__unit", "quantity", "starts_on", "ends_on", "state", "state_changed_at", "offering_id")
    granted: dict[int, Decimal] = {}
    for group_id, unit, quantity, starts_on, ends_on, state, state_changed_at, offering_id in (
        allocations.order_by().values_list(*fields).iterator(chunk_size=5000)
    ):
        span = usage_span(
            offering_id=offering_id,
            state=state,
            quantity=quantity,
            starts_on=starts_on,
            ends_on=ends_on,
            state_changed_at=state_changed_at,
        )
        granted.setdefault(group_id, Decimal(0))
        if span is None or not span.in_service:
            continue
        first, last = max(span.first, start), min(span.last, end)
        if first <= last:
            granted[group_id] += units_per_day(unit, quantity) * ((last - first).days + 1)
    return {
        group_id: Utilisation(used=used.get(group_id, Decimal(0)), granted=total) for group_id, total in granted.items()
    }


def offering_daily_usage(start: date, end: date, offering_ids: list[int] | None = None) -> dict[int, list[DayUsage]]:
    """Per offering, every day from ``start`` to ``end``: what its allocations used (the totals kept
    at ingestion; None for a day not collected) and what they were granted (the units in service
    that day, from the allocation engine's daily usage changes, × 24 for hour-metered units).
    Three queries whatever the number of allocations or days."""
    offerings = Offering.objects.order_by("pk")
    if offering_ids is not None:
        offerings = offerings.filter(pk__in=offering_ids)
    units = dict(offerings.values_list("pk", "unit"))
    used: dict[tuple[int, date], Decimal] = {
        (offering_id, day): figure
        for offering_id, day, figure in OfferingDayUsage.objects.filter(
            offering_id__in=units, day__range=(start, end)
        ).values_list("offering_id", "day", "used")
    }
    in_service: dict[int, int] = dict(
        UsageChange.objects.filter(offering_id__in=units, day__lte=start)
        .order_by()
        .values_list("offering_id")
        .annotate(total=Sum("in_service"))
        .values_list("offering_id", "total")
    )
    changes: dict[tuple[int, date], int] = {
        (offering_id, day): change
        for offering_id, day, change in UsageChange.objects.filter(
            offering_id__in=units, day__gt=start, day__lte=end
        ).values_list("offering_id", "day", "in_service")
    }
    result: dict[int, list[DayUsage]] = {}
    for offering_id, unit in units.items():
        running = in_service.get(offering_id, 0)
        series = []
        day = start
        while day <= end:
            running += changes.get((offering_id, day), 0) if day > start else 0
            series.append(DayUsage(day, used.get((offering_id, day)), units_per_day(unit, running)))
            day += timedelta(days=1)
        result[offering_id] = series
    return result


@dataclass(frozen=True)
class UsageTotalDrift:
    """A kept total that differs from the sum of the records it stands for."""

    table: str  # "offering day" or "allocation"
    key: tuple[int, date | None]
    kept: Decimal
    recomputed: Decimal


def usage_total_drift() -> list[UsageTotalDrift]:
    """The per-offering daily totals and per-allocation totals (and latest days) that differ from
    the records: what ``check_usage`` reports. Reads every record (an audit, not a page)."""
    drift: list[UsageTotalDrift] = []
    sums = {
        (offering_id, day): total
        for offering_id, day, total in UsageRecord.objects.order_by()
        .values_list("allocation__offering_id", "day")
        .annotate(total=Sum("used"))
        .values_list("allocation__offering_id", "day", "total")
    }
    kept = {(row.offering_id, row.day): row.used for row in OfferingDayUsage.objects.all()}
    for key in sorted(sums.keys() | kept.keys()):
        recomputed, total = _quantized(sums.get(key)), _quantized(kept.get(key))
        if recomputed != total:
            drift.append(UsageTotalDrift("offering day", key, total, recomputed))
    per_allocation = {
        allocation_id: (total, last_day)
        for allocation_id, total, last_day in UsageRecord.objects.order_by()
        .values_list("allocation_id")
        .annotate(total=Sum("used"), last_day=Max("day"))
        .values_list("allocation_id", "total", "last_day")
    }
    last_used = dict(
        UsageRecord.objects.filter(used__gt=0)
        .order_by()
        .values_list("allocation_id")
        .annotate(last=Max("day"))
        .values_list("allocation_id", "last")
    )
    totals = {row.allocation_id: row for row in AllocationUsage.objects.all()}
    for allocation_id in sorted(per_allocation.keys() | totals.keys()):
        total, last_day = per_allocation.get(allocation_id, (None, None))
        row = totals.get(allocation_id)
        kept_total = _quantized(row.used_total if row else None)
        if kept_total != _quantized(total):
            drift.append(UsageTotalDrift("allocation", (allocation_id, None), kept_total, _quantized(total)))
        elif row is not None and (row.last_day, row.last_used_on) != (last_day, last_used.get(allocation_id)):
            drift.append(
                UsageTotalDrift("allocation days", (allocation_id, row.last_day), kept_total, _quantized(total))
            )
    return drift


def _quantized(value: Decimal | None) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.001"))
