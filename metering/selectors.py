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

from django.db.models import Sum

from allocations.models import Allocation
from allocations.usage import usage_span
from metering.models import UsageRecord
from pool.models import OfferingUnit

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
