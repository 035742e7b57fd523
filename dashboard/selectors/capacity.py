"""The pool per offering over a period and today, and the allocations that end soon.

Per day, an offering's units are in service (active, or active then: an expired allocation
served its whole period, a revoked one until the day before it was revoked) or being
provisioned (pending or provisioning); the rest of the capacity is free. Capacity follows the
offering's phases. The daily figures are running sums of the usage changes that the allocation
table's triggers keep (``allocations.usage``), never sums over the allocations.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db.models import DateField, F, QuerySet, Sum, Value
from django.utils import timezone

from allocations.models import Allocation, AllocationState, UsageChange
from pool.capacity import Phases, capacity_on, days
from pool.models import CapacityLedger, CapacityPhase, Offering, OfferingKind

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

    from dashboard.selectors.usage import UsedSeries

# The longest date range the dashboard draws, so that one request's work stays bounded.
MAX_RANGE_DAYS = 3 * 366

# Allocations that hold capacity now, or held it while they ran (an expired one served its whole
# period; a revoked one until the day it was revoked), and those being provisioned. Failed ones
# never held any. The rule per allocation is ``allocations.usage.usage_span``.
COMPUTE_KINDS = (OfferingKind.GPU, OfferingKind.CPU)

EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class Run:
    """Consecutive days with the same figures for one offering."""

    start: date
    end: date
    capacity: int
    in_service: int  # active allocations (and, on past days, the ones that ran then)
    being_provisioned: int  # pending or provisioning

    @property
    def allocated(self) -> int:
        return self.in_service + self.being_provisioned

    @property
    def free(self) -> int:
        return self.capacity - self.allocated


# Up to this many runs, the numbers under a chart list every run; beyond it, one row per month.
MAX_TABLE_RUNS = 31


@dataclass(frozen=True)
class MonthSummary:
    """The figures of one month of runs: the peaks and the least free units."""

    start: date
    end: date
    capacity: int  # the largest capacity of the month
    in_service: int  # the most active units on any day
    being_provisioned: int
    free: int  # the least free units on any day


def monthly(runs: list[Run]) -> list[MonthSummary]:
    # The month's figures are gathered as plain values and made into a summary once, when the
    # month ends: a month of many short runs costs one object.
    months: list[MonthSummary] = []
    month: tuple[int, int] | None = None
    first = last = date.min
    capacity = in_service = being_provisioned = free = 0
    for run in runs:
        day = run.start
        run_free = run.free
        while day <= run.end:
            month_end = (date(day.year + day.month // 12, day.month % 12 + 1, 1)) - timedelta(days=1)
            end = min(run.end, month_end)
            if (day.year, day.month) == month:
                last = end
                capacity = max(capacity, run.capacity)
                in_service = max(in_service, run.in_service)
                being_provisioned = max(being_provisioned, run.being_provisioned)
                free = min(free, run_free)
            else:
                if month is not None:
                    months.append(MonthSummary(first, last, capacity, in_service, being_provisioned, free))
                month, first, last = (day.year, day.month), day, end
                capacity, in_service, being_provisioned, free = (
                    run.capacity,
                    run.in_service,
                    run.being_provisioned,
                    run_free,
                )
            day = end + timedelta(days=1)
    if month is not None:
        months.append(MonthSummary(first, last, capacity, in_service, being_provisioned, free))
    return months


@dataclass
class OfferingCapacity:
    offering: Offering
    capacity_today: int
    allocated_today: int
    runs: list[Run] = field(default_factory=list)
    # The units used per day over the same period (``dashboard.selectors.usage.used_series``), when read.
    used: "UsedSeries | None" = None

    @property
    def table(self) -> list[Run] | list[MonthSummary]:
        """The rows of the table under the chart: every run, or one per month when there are many."""
        return self.runs if len(self.runs) <= MAX_TABLE_RUNS else monthly(self.runs)

    @property
    def table_is_monthly(self) -> bool:
        return len(self.runs) > MAX_TABLE_RUNS

    @property
    def utilisation_today(self) -> Decimal | None:
        if not self.capacity_today:
            return None
        return (Decimal(self.allocated_today) * 100 / self.capacity_today).quantize(Decimal("0.1"))

    def in_announced_units(self, units: int) -> Decimal | None:
        """``units`` in PF (compute) or PB (storage), the announcement's units; None otherwise."""
        if self.offering.unit_tflops is not None:
            return (self.offering.unit_tflops * units / 1000).quantize(Decimal("0.01"))
        if self.offering.unit == Offering.Unit.TB:
            return (Decimal(units) / 1000).quantize(Decimal("0.01"))
        return None

    @property
    def capacity_announced(self) -> Decimal | None:
        return self.in_announced_units(self.capacity_today)

    @property
    def allocated_announced(self) -> Decimal | None:
        return self.in_announced_units(self.allocated_today)

    @property
    def announced_unit(self) -> str:
        if self.offering.unit_tflops is not None:
            return "PF"
        if self.offering.unit == Offering.Unit.TB:
            return "PB"
        return ""


@dataclass(frozen=True)
class PoolTotals:
    compute_capacity_pf: Decimal
    compute_allocated_pf: Decimal
    storage_capacity_pb: Decimal
    storage_allocated_pb: Decimal

    @staticmethod
    def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
        return (part * 100 / whole).quantize(Decimal("0.1")) if whole else None

    @property
    def compute_utilisation(self) -> Decimal | None:
        return self._percent(self.compute_allocated_pf, self.compute_capacity_pf)

    @property
    def storage_utilisation(self) -> Decimal | None:
        return self._percent(self.storage_allocated_pb, self.storage_capacity_pb)


def phases_by_offering() -> dict[int, Phases]:
    phases: dict[int, Phases] = defaultdict(list)
    for offering_id, starts_on, units in CapacityPhase.objects.order_by("offering_id", "starts_on").values_list(
        "offering_id", "starts_on", "units"
    ):
        phases[offering_id].append((starts_on, units))
    return phases


def _usage_deltas(start: date, end: date) -> dict[tuple[int, str], list[int]]:
    """Per (offering, series) the change of units on each day of [start, end] (index 0 = start,
    plus one slot past the end), the changes before ``start`` added up on index 0. One query over
    the usage changes that the allocation table's triggers keep (``allocations.usage``): its rows
    are bounded by offerings × days, not by allocations."""
    length = (end - start).days + 1
    deltas: dict[tuple[int, str], list[int]] = {}
    before = (
        UsageChange.objects.filter(day__lt=start)
        .values("offering_id")
        .annotate(
            on=Value(start, output_field=DateField()),
            in_service_change=Sum("in_service"),
            being_provisioned_change=Sum("being_provisioned"),
        )
        .order_by()
    )
    within = UsageChange.objects.filter(day__range=(start, end)).values(
        "offering_id", on=F("day"), in_service_change=F("in_service"), being_provisioned_change=F("being_provisioned")
    )
    for row in before.union(within, all=True).order_by():
        index = (row["on"] - start).days
        for series, change in (
            ("in_service", row["in_service_change"]),
            ("being_provisioned", row["being_provisioned_change"]),
        ):
            if change:
                delta = deltas.setdefault((row["offering_id"], series), [0] * (length + 1))
                delta[index] += change
    return deltas


def _runs(phases: Phases, start: date, end: date, in_service: list[int], provisioning: list[int]) -> list[Run]:
    # Each run is made once, when it ends: a period of many short runs costs one object per run.
    runs: list[Run] = []
    level_in_service = level_provisioning = 0
    run_start: date | None = None
    figures: tuple[int, int, int] | None = None
    previous_day = start
    # Capacity changes only on the phases' first days: look it up again only on those.
    phase_starts = {phase_start for phase_start, _units in phases if start < phase_start <= end}
    capacity = capacity_on(phases, start)
    for index, day in enumerate(days(start, end)):
        level_in_service += in_service[index]
        level_provisioning += provisioning[index]
        if day in phase_starts:
            capacity = capacity_on(phases, day)
        today_figures = (capacity, level_in_service, level_provisioning)
        if today_figures != figures:
            if figures is not None and run_start is not None:
                runs.append(Run(run_start, previous_day, *figures))
            run_start, figures = day, today_figures
        previous_day = day
    if figures is not None and run_start is not None:
        runs.append(Run(run_start, previous_day, *figures))
    return runs


def capacity_overview(
    start: date, end: date, today: date | None = None, phases: dict[int, Phases] | None = None
) -> list[OfferingCapacity]:
    """Per offering: capacity and allocated units today, and runs of days over [start, end].

    Four queries (three given ``phases``): offerings, phases, the usage changes of the period
    (and their sum before it), today's ledger rows.
    """
    today = today or timezone.localdate()
    offerings = list(Offering.objects.order_by("kind", "name"))
    if phases is None:
        phases = phases_by_offering()
    deltas = _usage_deltas(start, end)
    held_today = dict(CapacityLedger.objects.filter(day=today).values_list("offering_id", "reserved"))
    zeros = [0] * ((end - start).days + 2)
    overview = []
    for offering in offerings:
        offering_phases = phases.get(offering.pk, [])
        overview.append(
            OfferingCapacity(
                offering=offering,
                capacity_today=capacity_on(offering_phases, today),
                allocated_today=held_today.get(offering.pk, 0),
                runs=_runs(
                    offering_phases,
                    start,
                    end,
                    deltas.get((offering.pk, "in_service"), zeros),
                    deltas.get((offering.pk, "being_provisioned"), zeros),
                ),
            )
        )
    return overview


def pool_totals(overview: list[OfferingCapacity]) -> PoolTotals:
    """Today's compute (PF) and storage (PB) capacity and allocation, from the overview."""
    zero = Decimal("0.00")
    compute = [row for row in overview if row.offering.kind in COMPUTE_KINDS and row.offering.unit_tflops is not None]
    storage = [row for row in overview if row.offering.kind == OfferingKind.STORAGE]
    return PoolTotals(
        compute_capacity_pf=sum((row.in_announced_units(row.capacity_today) or zero for row in compute), zero),
        compute_allocated_pf=sum((row.in_announced_units(row.allocated_today) or zero for row in compute), zero),
        storage_capacity_pb=sum((row.in_announced_units(row.capacity_today) or zero for row in storage), zero),
        storage_allocated_pb=sum((row.in_announced_units(row.allocated_today) or zero for row in storage), zero),
    )


# --- What ends soon ------------------------------------------------------------------------------


def expiring_allocations(today: date | None = None, within_days: int = EXPIRING_WITHIN_DAYS) -> QuerySet[Allocation]:
    """Active allocations ending in the next ``within_days`` days, soonest first."""
    today = today or timezone.localdate()
    return (
        Allocation.objects.filter(state=AllocationState.ACTIVE, ends_on__range=(today, today + timedelta(within_days)))
        .select_related("organization", "offering", "application_item__application__call")
        .order_by("ends_on", "pk")
    )


class Expiring(NamedTuple):
    """One row of the list of what ends soon, as the page shows it."""

    ends_on: date
    organisation: str
    offering: str
    quantity: int
    unit: "StrOrPromise"  # the unit's label, translated when shown
    call: str


def expiring_list(today: date | None = None, limit: int | None = None) -> list[Expiring]:
    """``expiring_allocations`` as the page's rows (the first ``limit``), read as plain values: one
    query, no model instances for a list of hundreds of rows."""
    units = dict(Offering.Unit.choices)
    rows = expiring_allocations(today).values_list(
        "ends_on",
        "organization__legal_name",
        "offering__name",
        "quantity",
        "offering__unit",
        "application_item__application__call__title",
    )
    return [
        Expiring(ends_on, organisation, offering, quantity, units.get(unit, unit), call)
        for ends_on, organisation, offering, quantity, unit, call in (rows[:limit] if limit is not None else rows)
    ]
