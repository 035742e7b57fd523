"""What was used of what was granted: the applicant's view of one allocation, and the operator's
(the used line of the capacity charts, the idle list, usage rates by call, industry and region).

Usage is measured per allocation and day by the usage sources (``metering``): GPU-hours and
core-hours for compute, TB held for storage, seats used. On the charts it is drawn in the
offering's units (GPU-hours ÷ 24 = GPUs busy on average that day), beside the units granted. The
*usage rate* (활용률) is used ÷ granted over the days collected; the dashboard's *utilisation*
(사용률) stays allocated ÷ capacity.

The operator's figures read the totals that ingestion keeps: ``OfferingDayUsage`` (one row per
offering and day) and ``AllocationUsage`` (one row per allocation), never a sum over the usage
records per request. One allocation's page reads that allocation's own records: at most one row
per day of its service period and source.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from allocations.models import Allocation, AllocationState
from allocations.usage import IN_SERVICE_STATES, usage_span
from applications.models import Call, Industry
from applications.regions import Region
from dashboard.selectors.capacity import OfferingCapacity, capacity_overview
from metering.models import OfferingDayUsage
from metering.selectors import HOUR_METERED_UNITS, HOURS_PER_DAY, DayUsage, daily_usage, units_per_day
from pool.models import Offering, OfferingKind, OfferingMetering, OfferingUnit

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

# What the used totals are counted in, per unit: hours of use for GPUs and cores, and for units
# held (storage, seats) one day of holding each unit.
MEASURES: dict[str, "StrOrPromise"] = {
    OfferingUnit.GPU: _("GPU-hours"),
    OfferingUnit.CORE: _("core-hours"),
    OfferingUnit.TB: _("TB-days"),
    OfferingUnit.SEAT: _("seat-days"),
}

THOUSANDTHS = Decimal("0.001")

# The public statistics and the operator's usage page give each offering's usage rate over the
# last days collected.
RECENT_DAYS = 30


def measure(unit: str) -> "StrOrPromise":
    return MEASURES.get(unit, unit)


def in_units(unit: str, used: Decimal | float) -> float:
    """A day's use in the offering's units: GPU-hours ÷ 24 = GPUs busy on average that day."""
    return float(used) / HOURS_PER_DAY if unit in HOUR_METERED_UNITS else float(used)


def percent(used: Decimal | float, granted: Decimal | float) -> Decimal | None:
    """used ÷ granted in per cent, to one decimal; None when nothing was granted."""
    if not granted:
        return None
    return (Decimal(str(used)) * 100 / Decimal(str(granted))).quantize(Decimal("0.1"))


# --- An offering's use per day (the capacity charts) ----------------------------------------------


@dataclass(frozen=True)
class UsedSeries:
    """The units an offering's allocations used on each day from ``start`` (None: no day collected)."""

    start: date
    values: list[float | None]

    @cached_property
    def _prefix(self) -> tuple[list[float], list[int]]:
        sums, counts = [0.0], [0]
        for value in self.values:
            sums.append(sums[-1] + (value or 0.0))
            counts.append(counts[-1] + (value is not None))
        return sums, counts

    def average(self, first: date, last: date) -> float | None:
        """The mean units used per collected day from ``first`` to ``last``; None if none was collected."""
        begin = max(0, (first - self.start).days)
        end = min(len(self.values), (last - self.start).days + 1)
        if begin >= end:
            return None
        sums, counts = self._prefix
        days = counts[end] - counts[begin]
        return (sums[end] - sums[begin]) / days if days else None

    @property
    def largest(self) -> float:
        return max((value for value in self.values if value is not None), default=0.0)


def used_series(offerings: list[Offering], start: date, end: date) -> dict[int, UsedSeries]:
    """Per offering, the units used on each day of [start, end]: one query over the per-day totals
    kept at ingestion (at most offerings × days rows, whatever the number of allocations)."""
    divisors = {
        offering.pk: float(HOURS_PER_DAY) if offering.unit in HOUR_METERED_UNITS else 1.0 for offering in offerings
    }
    length = (end - start).days + 1
    values: dict[int, list[float | None]] = {}
    # Read as floats: a chart and an average need no exact decimals, and thousands of Decimals cost.
    rows = (
        OfferingDayUsage.objects.filter(day__range=(start, end))
        .order_by()
        .values_list("offering_id", "day", Cast("used", FloatField()))
    )
    for offering_id, day, used in rows:
        divisor = divisors.get(offering_id)
        if divisor is None:
            continue
        series = values.get(offering_id)
        if series is None:
            series = values[offering_id] = [None] * length
        series[(day - start).days] = used / divisor
    return {offering_id: UsedSeries(start, series) for offering_id, series in values.items()}


def offering_usage_rate(row: OfferingCapacity, series: UsedSeries | None) -> Decimal | None:
    """Used ÷ granted (in service) over the days of ``row``'s runs that were collected, in per
    cent; None when no collected day had anything in service."""
    if series is None:
        return None
    used = granted = 0.0
    for run in row.runs:
        begin = (run.start - series.start).days
        for index in range(max(0, begin), min(len(series.values), (run.end - series.start).days + 1)):
            value = series.values[index]
            if value is not None:
                used += value
                granted += run.in_service
    return percent(used, granted)


@dataclass(frozen=True)
class OfferingUsage:
    """An offering's use over the last days: units in use on an average collected day, and the usage rate."""

    offering: Offering
    used_average: float | None
    rate: Decimal | None


def recent_period(today: date) -> tuple[date, date]:
    """The last ``RECENT_DAYS`` days up to ``today``."""
    return today - timedelta(days=RECENT_DAYS - 1), today


def recent_usage_rates(today: date, overview: list[OfferingCapacity] | None = None) -> list[OfferingUsage]:
    """Per offering, its use over the last ``RECENT_DAYS`` days up to ``today``: the units used on
    the days collected against the allocated units in service on those days (the runs of the
    capacity overview of ``recent_period``, read here unless given). One query, five without
    ``overview``."""
    start, _today = recent_period(today)
    if overview is None:
        overview = capacity_overview(start, today, today)
    used = used_series([row.offering for row in overview], start, today)
    rates = []
    for row in overview:
        series = used.get(row.offering.pk)
        rates.append(
            OfferingUsage(
                offering=row.offering,
                used_average=series.average(start, today) if series is not None else None,
                rate=offering_usage_rate(row, series),
            )
        )
    return rates


# --- One allocation (the applicant's page) --------------------------------------------------------


@dataclass(frozen=True)
class MonthUsage:
    """One month of an allocation's service period: granted and used, in the offering's measure."""

    start: date
    end: date
    granted: Decimal
    used: Decimal | None  # None: no day of the month collected yet
    granted_collected: Decimal  # granted on the days collected

    @property
    def rate(self) -> Decimal | None:
        """Used ÷ granted on the month's days collected (a month under way is not diluted)."""
        return None if self.used is None else percent(self.used, self.granted_collected)


@dataclass
class AllocationUsageFigures:
    """What an allocation used of its grant: per day, per month, so far, and what remains."""

    allocation: Allocation
    days: list[DayUsage]
    today: date
    months: list[MonthUsage] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.allocation.offering.unit

    @property
    def measure(self) -> "StrOrPromise":
        return measure(self.unit)

    @property
    def is_metered(self) -> bool:
        return self.allocation.offering.metering == OfferingMetering.METERED

    @cached_property
    def collected(self) -> list[DayUsage]:
        return [day for day in self.days if day.used is not None]

    @property
    def last_collected(self) -> date | None:
        return self.collected[-1].day if self.collected else None

    @cached_property
    def used(self) -> Decimal:
        return sum((day.used for day in self.collected if day.used is not None), Decimal(0))

    @cached_property
    def granted_so_far(self) -> Decimal:
        """What was granted on the days collected."""
        return sum((day.granted for day in self.collected), Decimal(0))

    @cached_property
    def granted_total(self) -> Decimal:
        """What the whole service period grants: a metered offering's budget."""
        return sum((day.granted for day in self.days), Decimal(0))

    @property
    def rate(self) -> Decimal | None:
        """The usage rate so far: used ÷ granted on the days collected, in per cent."""
        return percent(self.used, self.granted_so_far)

    @property
    def remaining(self) -> Decimal:
        """A metered offering's budget left (never below zero)."""
        return max(self.granted_total - self.used, Decimal(0))

    @property
    def budget_used(self) -> Decimal | None:
        return percent(self.used, self.granted_total)

    @property
    def days_left(self) -> int:
        """Days of the service period after today."""
        if not self.days:
            return 0
        return max(0, (self.days[-1].day - max(self.today, self.days[0].day - timedelta(days=1))).days)

    @property
    def average_units(self) -> float | None:
        """The units in use on an average collected day."""
        if not self.collected:
            return None
        return in_units(self.unit, self.used) / len(self.collected)


def _months(days: list[DayUsage]) -> list[MonthUsage]:
    months: list[MonthUsage] = []
    for day in days:
        collected = day.granted if day.used is not None else Decimal(0)
        if months and (months[-1].start.year, months[-1].start.month) == (day.day.year, day.day.month):
            last = months[-1]
            used = last.used if day.used is None else (last.used or Decimal(0)) + day.used
            months[-1] = MonthUsage(
                last.start, day.day, last.granted + day.granted, used, last.granted_collected + collected
            )
        else:
            months.append(MonthUsage(day.day, day.day, day.granted, day.used, collected))
    return months


def allocation_usage(allocation: Allocation, today: date) -> AllocationUsageFigures:
    """The allocation's usage over its service period (``allocation`` read with its offering):
    one query over its own records."""
    days = daily_usage(allocation)
    return AllocationUsageFigures(allocation=allocation, days=days, today=today, months=_months(days))


# --- The idle list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Idle:
    """An active allocation and what of it sat idle on the days collected so far."""

    allocation_id: int
    organisation: str
    call: str
    offering: str
    unit: "StrOrPromise"
    quantity: int
    starts_on: date
    ends_on: date
    used_units: float  # units in use on an average collected day
    idle_units: float  # quantity − used_units
    rate: Decimal | None  # used ÷ granted, per cent
    last_used_on: date | None


def idle_list(limit: int | None = None) -> list[Idle]:
    """Active allocations with usage collected, per offering (GPUs first) the most idle units
    first: one query over the active allocations and their kept totals."""
    units = dict(Offering.Unit.choices)
    kinds = {kind: index for index, kind in enumerate(OfferingKind.values)}
    rows = (
        Allocation.objects.filter(state=AllocationState.ACTIVE, usage__last_day__isnull=False)
        .order_by()
        .values_list(
            "offering__kind",
            "pk",
            "organization__legal_name",
            "application_item__application__call__title",
            "offering__name",
            "offering__unit",
            "quantity",
            "starts_on",
            "ends_on",
            "usage__used_total",
            "usage__last_day",
            "usage__last_used_on",
        )
    )
    idle: list[tuple[int, Idle]] = []
    for row in rows:
        kind, pk, organisation, call, offering, unit, quantity, starts_on, ends_on, used, last_day, last_used_on = row
        if last_day is None:
            continue
        days = (min(last_day, ends_on) - starts_on).days + 1
        if days <= 0:
            continue
        granted = units_per_day(unit, quantity) * days
        used_units = min(float(quantity), in_units(unit, used) / days)
        idle.append(
            (
                kinds.get(kind, len(kinds)),
                Idle(
                    allocation_id=pk,
                    organisation=organisation,
                    call=call,
                    offering=offering,
                    unit=units.get(unit, unit),
                    quantity=quantity,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    used_units=round(used_units, 2),
                    idle_units=round(quantity - used_units, 2),
                    rate=percent(used, granted),
                    last_used_on=last_used_on,
                ),
            )
        )
    # GPUs first (the kinds in their declared order), then each offering's most idle units, the
    # longest unused first among equals.
    idle.sort(key=lambda pair: (pair[0], pair[1].offering, -pair[1].idle_units, pair[1].last_used_on or date.min))
    ordered = [row for _kind, row in idle]
    return ordered[:limit] if limit is not None else ordered


# --- Usage rates by call, industry and region ------------------------------------------------------


@dataclass(frozen=True)
class UsageCell:
    """What the allocations of one group used of one offering, in the offering's measure."""

    offering: str
    unit: str
    granted: Decimal
    used: Decimal
    allocations: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.used, self.granted)

    @property
    def measure(self) -> "StrOrPromise":
        return measure(self.unit)


@dataclass(frozen=True)
class UsageBreakdownRow:
    key: object  # the call's id, the industry's or the region's value
    label: "StrOrPromise"
    cells: list[UsageCell | None]  # one per offering of the breakdown, in its order


@dataclass(frozen=True)
class UsageBreakdown:
    dimension: str
    offerings: list[str]
    rows: list[UsageBreakdownRow]

    @property
    def label(self) -> str:
        return str(USAGE_DIMENSION_LABELS[self.dimension])


USAGE_DIMENSION_LABELS = {"call": _("Call"), "industry": _("Industry"), "region": _("Region")}


def usage_breakdowns(call: Call | None) -> list[UsageBreakdown]:
    """The usage rate of each offering by call (every call), and by the organisations' industry
    and region (the chosen call's allocations, or every call's): used ÷ granted over each
    allocation's days in service up to its latest day collected. One query over the allocations
    that were in service and their kept totals."""
    rows = (
        Allocation.objects.filter(state__in=IN_SERVICE_STATES, usage__last_day__isnull=False)
        .order_by()
        .values_list(
            "offering_id",
            "offering__name",
            "offering__unit",
            "state",
            "quantity",
            "starts_on",
            "ends_on",
            "state_changed_at",
            "usage__used_total",
            "usage__last_day",
            "application_item__application__call_id",
            "application_item__application__call__title",
            "organization__industry",
            "organization__region",
        )
    )
    offerings: dict[int, tuple[str, str]] = {}
    call_titles: dict[int, str] = {}
    # (dimension, group key, offering) -> [granted, used, allocations]
    totals: dict[tuple[str, object, int], list[Any]] = defaultdict(lambda: [Decimal(0), Decimal(0), 0])
    for (
        offering_id,
        offering_name,
        unit,
        state,
        quantity,
        starts_on,
        ends_on,
        state_changed_at,
        used,
        last_day,
        call_id,
        call_title,
        industry,
        region,
    ) in rows:
        span = usage_span(
            offering_id=offering_id,
            state=state,
            quantity=quantity,
            starts_on=starts_on,
            ends_on=ends_on,
            state_changed_at=state_changed_at,
        )
        if span is None or last_day is None:
            continue
        days = (min(span.last, last_day) - span.first).days + 1
        if days <= 0:
            continue
        granted = units_per_day(unit, quantity) * days
        offerings[offering_id] = (offering_name, unit)
        call_titles[call_id] = call_title
        groups: list[tuple[str, object]] = [("call", call_id)]
        if call is None or call_id == call.pk:
            groups += [("industry", industry), ("region", region)]
        for group in groups:
            total = totals[(*group, offering_id)]
            total[0] += granted
            total[1] += used
            total[2] += 1
    order = sorted(offerings, key=lambda pk: offerings[pk][0])
    labels: dict[str, list[tuple[object, StrOrPromise]]] = {
        # The newest calls first, as the call filter lists them.
        "call": [(pk, title) for pk, title in sorted(call_titles.items(), key=lambda item: -item[0])],
        "industry": list(Industry.choices),
        "region": list(Region.choices),
    }
    breakdowns = []
    for dimension, groups_in_order in labels.items():
        breakdown_rows = []
        for key, label in groups_in_order:
            cells: list[UsageCell | None] = []
            for offering_id in order:
                kept = totals.get((dimension, key, offering_id))
                name, unit = offerings[offering_id]
                cells.append(
                    None
                    if kept is None
                    else UsageCell(name, unit, kept[0].quantize(THOUSANDTHS), kept[1].quantize(THOUSANDTHS), kept[2])
                )
            if any(cells):
                breakdown_rows.append(UsageBreakdownRow(key, label, cells))
        breakdowns.append(UsageBreakdown(dimension, [offerings[pk][0] for pk in order], breakdown_rows))
    return breakdowns
