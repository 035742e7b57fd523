"""The operator's dashboard and the public statistics: every figure aggregated by the database.

Each function costs a fixed number of queries whatever the number of applications or
allocations (tests/dashboard/test_query_counts.py): rows are grouped in SQL and only the groups
(offerings, days where something starts or ends, categories) come back to Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.models import Allocation, AllocationState
from applications.models import Application, ApplicationItem, Call, Industry, Organization, PriorityClaim
from applications.regions import Region
from applications.selectors import RANKED_STATUSES, with_rank
from pool.capacity import Phases, capacity_on, days
from pool.models import CapacityLedger, CapacityPhase, Offering, OfferingKind

# The longest date range the dashboard draws, so that one request's work stays bounded.
MAX_RANGE_DAYS = 3 * 366

# Allocations that hold capacity now, or held it while they ran (an expired one served its whole
# period; a revoked one until the day it was revoked). Failed ones never held any.
IN_SERVICE_STATES = (AllocationState.ACTIVE, AllocationState.EXPIRED, AllocationState.REVOKED)
BEING_PROVISIONED_STATES = (AllocationState.PENDING, AllocationState.PROVISIONING)
COMPUTE_KINDS = (OfferingKind.GPU, OfferingKind.CPU)

EXPIRING_WITHIN_DAYS = 30
LIST_LIMIT = 200


def _seoul() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- Filters -------------------------------------------------------------------------------------


def calls_for_filter() -> list[Call]:
    return list(Call.objects.order_by("-opens_at", "-pk"))


def default_call(calls: list[Call], now=None) -> Call | None:
    """The call the dashboard opens on: the open call closing last, else the latest call."""
    now = now or timezone.now()
    open_calls = [call for call in calls if call.opens_at <= now <= call.deadline]
    if open_calls:
        return max(open_calls, key=lambda call: (call.deadline, call.pk))
    return calls[0] if calls else None


def data_version() -> str:
    """Changes whenever an application or an allocation changes state (each writes a history
    row): the latest history ids, in one query. Part of the dashboard's cache key."""
    from allocations.models import AllocationTransition
    from applications.models import ApplicationTransition

    def latest(model, kind: str):
        return model.objects.order_by().annotate(kind=Value(kind)).values("kind").annotate(latest=Max("pk"))

    rows = (
        latest(ApplicationTransition, "applications")
        .union(latest(AllocationTransition, "allocations"), all=True)
        .order_by()
    )
    figures = {row["kind"]: row["latest"] for row in rows}
    return f"{figures.get('applications') or 0}.{figures.get('allocations') or 0}"


# --- Capacity over time --------------------------------------------------------------------------


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
    months: list[MonthSummary] = []
    for run in runs:
        day = run.start
        while day <= run.end:
            month_end = (date(day.year + day.month // 12, day.month % 12 + 1, 1)) - timedelta(days=1)
            last = min(run.end, month_end)
            if months and months[-1].start.replace(day=1) == day.replace(day=1):
                previous = months[-1]
                months[-1] = MonthSummary(
                    previous.start,
                    last,
                    max(previous.capacity, run.capacity),
                    max(previous.in_service, run.in_service),
                    max(previous.being_provisioned, run.being_provisioned),
                    min(previous.free, run.free),
                )
            else:
                months.append(MonthSummary(day, last, run.capacity, run.in_service, run.being_provisioned, run.free))
            day = last + timedelta(days=1)
    return months


@dataclass
class OfferingCapacity:
    offering: Offering
    capacity_today: int
    allocated_today: int
    runs: list[Run] = field(default_factory=list)

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
    plus one slot past the end). Two queries whose rows are bounded by offerings × days, not by
    allocations: the units that start (clamped to ``start``) and end (clamped to ``end``) on each
    day, summed by the database; revoked allocations, which end early, grouped by period."""
    seoul = _seoul()
    length = (end - start).days + 1
    deltas: dict[tuple[int, str], list[int]] = {}

    def add(offering_id: int, series: str, first: date, last: date, units: int) -> None:
        first, last = max(first, start), min(last, end)
        if first > last:
            return
        delta = deltas.setdefault((offering_id, series), [0] * (length + 1))
        delta[(first - start).days] += units
        delta[(last - start).days + 1] -= units

    covering = Allocation.objects.filter(starts_on__lte=end, ends_on__gte=start)
    series = Case(
        When(state__in=BEING_PROVISIONED_STATES, then=Value("being_provisioned")),
        default=Value("in_service"),
        output_field=CharField(),
    )
    running = covering.filter(state__in=[*IN_SERVICE_STATES, *BEING_PROVISIONED_STATES]).exclude(
        state=AllocationState.REVOKED
    )
    starts = (
        running.annotate(series=series, day=Greatest("starts_on", Value(start, output_field=DateField())))
        .values("offering_id", "series", "day")
        .annotate(units=Sum("quantity"), sign=Value(1))
        .order_by()
    )
    ends = (
        running.annotate(series=series, day=Least("ends_on", Value(end, output_field=DateField())))
        .values("offering_id", "series", "day")
        .annotate(units=Sum("quantity"), sign=Value(-1))
        .order_by()
    )
    for row in starts.union(ends, all=True).order_by():
        index = (row["day"] - start).days + (0 if row["sign"] > 0 else 1)
        delta = deltas.setdefault((row["offering_id"], row["series"]), [0] * (length + 1))
        delta[index] += row["sign"] * row["units"]

    revoked = (
        covering.filter(state=AllocationState.REVOKED)
        .annotate(revoked_on=TruncDate("state_changed_at", tzinfo=seoul))
        .values("offering_id", "starts_on", "ends_on", "revoked_on")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    for row in revoked:  # held capacity until the day before it was revoked
        last = min(row["ends_on"], row["revoked_on"] - timedelta(days=1))
        add(row["offering_id"], "in_service", row["starts_on"], last, row["units"])
    return deltas


def _runs(phases: Phases, start: date, end: date, in_service: list[int], provisioning: list[int]) -> list[Run]:
    runs: list[Run] = []
    level_in_service = level_provisioning = 0
    for index, day in enumerate(days(start, end)):
        level_in_service += in_service[index]
        level_provisioning += provisioning[index]
        figures = (capacity_on(phases, day), level_in_service, level_provisioning)
        if runs and (runs[-1].capacity, runs[-1].in_service, runs[-1].being_provisioned) == figures:
            runs[-1] = Run(runs[-1].start, day, *figures)
        else:
            runs.append(Run(day, day, *figures))
    return runs


def capacity_overview(
    start: date, end: date, today: date | None = None, phases: dict[int, Phases] | None = None
) -> list[OfferingCapacity]:
    """Per offering: capacity and allocated units today, and runs of days over [start, end].

    Four queries (three given ``phases``): offerings, phases, allocations grouped by period,
    today's ledger rows.
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
        compute_capacity_pf=sum((row.in_announced_units(row.capacity_today) for row in compute), zero),
        compute_allocated_pf=sum((row.in_announced_units(row.allocated_today) for row in compute), zero),
        storage_capacity_pb=sum((row.in_announced_units(row.capacity_today) for row in storage), zero),
        storage_allocated_pb=sum((row.in_announced_units(row.allocated_today) for row in storage), zero),
    )


# --- A call: demand and supply, funnel, breakdowns, wait-list ------------------------------------


@dataclass(frozen=True)
class Demand:
    offering: Offering
    awaiting: int  # units asked for by applications awaiting a decision (submitted or wait-listed)
    awaiting_applications: int
    granted: int  # units granted to the call's applications (allocations that hold or held capacity)
    free: int  # free units over the call's service period, on its tightest day

    @property
    def shortfall(self) -> int:
        return max(self.awaiting - self.free, 0)

    @property
    def coverage(self) -> Decimal | None:
        """How much of what awaits a decision the free supply covers, in percent (at most 100)."""
        if not self.awaiting:
            return None
        return min(Decimal(100), (Decimal(max(self.free, 0)) * 100 / self.awaiting).quantize(Decimal("0.1")))


def _free_over(offering_ids: list[int], phases: dict[int, Phases], start: date, end: date) -> dict[int, int]:
    """The least free units of each offering on any day of [start, end]: one query.

    Days with a ledger row are free by capacity - reserved; days without one hold nothing, so
    their free units are the capacity, and the least capacity of the period covers them.
    """
    least_on_ledger = dict(
        CapacityLedger.objects.filter(offering_id__in=offering_ids, day__range=(start, end))
        .values("offering_id")
        .annotate(least=Min(F("capacity") - F("reserved")))
        .order_by()
        .values_list("offering_id", "least")
    )
    free = {}
    for offering_id in offering_ids:
        offering_phases = phases.get(offering_id, [])
        # Capacity changes only on phase starts, so the period's start and the phase starts in it
        # are the only days to look at.
        checkpoints = [start, *(day for day, _units in offering_phases if start < day <= end)]
        least_capacity = min(capacity_on(offering_phases, day) for day in checkpoints)
        free[offering_id] = min(least_capacity, least_on_ledger.get(offering_id, least_capacity))
    return free


def call_demand(call: Call, offerings: list[Offering], phases: dict[int, Phases] | None = None) -> list[Demand]:
    """Per offering the call asks for: what awaits a decision, what was granted and what is free
    in the service period. Two queries (three without ``phases``)."""
    if phases is None:
        phases = phases_by_offering()
    awaiting_statuses = [Application.Status.SUBMITTED, Application.Status.WAITLISTED]
    rows = {
        row["offering_id"]: row
        for row in ApplicationItem.objects.filter(application__call=call)
        .values("offering_id")
        .annotate(
            awaiting=Sum("quantity", filter=Q(application__status__in=awaiting_statuses), default=0),
            awaiting_applications=Count(
                "application", filter=Q(application__status__in=awaiting_statuses), distinct=True
            ),
            granted=Sum(
                "allocation__quantity",
                filter=Q(allocation__state__in=[*IN_SERVICE_STATES, *BEING_PROVISIONED_STATES]),
                default=0,
            ),
        )
        .order_by()
    }
    if not rows:
        return []
    free = _free_over(list(rows), phases, call.service_starts_on, call.service_ends_on)
    return [
        Demand(
            offering=offering,
            awaiting=rows[offering.pk]["awaiting"],
            awaiting_applications=rows[offering.pk]["awaiting_applications"],
            granted=rows[offering.pk]["granted"],
            free=free[offering.pk],
        )
        for offering in offerings
        if offering.pk in rows
    ]


STAGE_LABELS = {
    "started": _("Started"),
    "submitted": _("Submitted"),
    "decided": _("Decided"),
    "approved": _("Approved"),
    "provisioned": _("Provisioned"),
}


@dataclass(frozen=True)
class Funnel:
    started: int
    submitted: int
    decided: int
    approved: int
    provisioned: int
    by_status: dict[str, int]
    without_claim: int

    @property
    def stages(self) -> list[tuple[str, str, int]]:
        """(key, label, applications) from the first stage to the last."""
        figures = (self.started, self.submitted, self.decided, self.approved, self.provisioned)
        return [(key, str(label), value) for (key, label), value in zip(STAGE_LABELS.items(), figures, strict=True)]

    @property
    def statuses(self) -> list[tuple[str, str, int]]:
        """(status, label, applications) for every status, in the statuses' order."""
        return [(status, str(label), self.by_status[status]) for status, label in Application.Status.choices]


def call_funnel(call: Call) -> Funnel:
    """How far the call's applications went: one query."""
    provisioned = Allocation.objects.filter(
        application_item__application=OuterRef("pk"),
        state__in=[AllocationState.ACTIVE, AllocationState.EXPIRED, AllocationState.REVOKED],
    )
    has_claim = PriorityClaim.objects.filter(application=OuterRef("pk"))
    statuses = {f"status_{status}": Count("pk", filter=Q(status=status)) for status in Application.Status.values}
    figures = Application.objects.filter(call=call).aggregate(
        started=Count("pk"),
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        provisioned=Count("pk", filter=Q(Exists(provisioned))),
        without_claim=Count("pk", filter=Q(submitted_at__isnull=False) & ~Q(Exists(has_claim))),
        **statuses,
    )
    by_status = {status: figures[f"status_{status}"] for status in Application.Status.values}
    return Funnel(
        started=figures["started"],
        submitted=figures["submitted"],
        decided=by_status["approved"] + by_status["waitlisted"] + by_status["rejected"],
        approved=by_status["approved"],
        provisioned=figures["provisioned"],
        by_status=by_status,
        without_claim=figures["without_claim"],
    )


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    applications: int
    approved: int

    @property
    def approval_rate(self) -> Decimal | None:
        if not self.applications:
            return None
        return (Decimal(self.approved) * 100 / self.applications).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    rows: list[BreakdownRow]

    @property
    def label(self) -> str:
        return str(DIMENSION_LABELS[self.dimension])

    @property
    def largest(self) -> int:
        return max((row.applications for row in self.rows), default=0)


DIMENSION_LABELS = {
    "priority": _("Priority claim"),
    "org_type": _("Organisation type"),
    "industry": _("Industry"),
    "purpose": _("Purpose"),
    "region": _("Region"),
}

BREAKDOWN_DIMENSIONS = {
    "org_type": ("organization__org_type", Organization.Type),
    "industry": ("organization__industry", Industry),
    "purpose": ("purpose", Application.Purpose),
    "region": ("organization__region", Region),
}


def call_breakdowns(call: Call | None) -> list[Breakdown]:
    """Submitted applications and approvals by priority claim, organisation type, industry,
    purpose and region; all calls when ``call`` is None. Two queries."""
    applications = Application.objects.filter(submitted_at__isnull=False)
    if call is not None:
        applications = applications.filter(call=call)
    approved = Q(status=Application.Status.APPROVED)
    fields = [path for path, _choices in BREAKDOWN_DIMENSIONS.values()]
    combinations = (
        applications.values(*fields)
        .annotate(applications=Count("pk"), approved=Count("pk", filter=approved))
        .order_by()
    )
    totals: dict[str, dict[str, list[int]]] = {name: defaultdict(lambda: [0, 0]) for name in BREAKDOWN_DIMENSIONS}
    for row in combinations:
        for name, (path, _choices) in BREAKDOWN_DIMENSIONS.items():
            totals[name][row[path]][0] += row["applications"]
            totals[name][row[path]][1] += row["approved"]

    claims = {
        row["kind"]: (row["applications"], row["approved"])
        for row in PriorityClaim.objects.filter(application__in=applications)
        .values("kind")
        .annotate(
            applications=Count("application", distinct=True),
            approved=Count("application", filter=Q(application__status=Application.Status.APPROVED), distinct=True),
        )
        .order_by()
    }
    breakdowns = [
        Breakdown(
            "priority",
            [BreakdownRow(kind, str(label), *claims.get(kind, (0, 0))) for kind, label in PriorityClaim.Kind.choices],
        )
    ]
    for name, (_path, choices) in BREAKDOWN_DIMENSIONS.items():
        rows = [BreakdownRow(value, str(label), *totals[name].get(value, (0, 0))) for value, label in choices.choices]
        breakdowns.append(Breakdown(name, rows))
    return breakdowns


def expiring_allocations(today: date | None = None, within_days: int = EXPIRING_WITHIN_DAYS) -> QuerySet[Allocation]:
    """Active allocations ending in the next ``within_days`` days, soonest first."""
    today = today or timezone.localdate()
    return (
        Allocation.objects.filter(state=AllocationState.ACTIVE, ends_on__range=(today, today + timedelta(within_days)))
        .select_related("organization", "offering", "application_item__application__call")
        .order_by("ends_on", "pk")
    )


def waitlist(call: Call) -> QuerySet[Application]:
    """The call's wait-listed applications in rank order, with what they asked for."""
    return (
        with_rank(Application.objects.filter(call=call, status=Application.Status.WAITLISTED))
        .select_related("organization")
        .prefetch_related(Prefetch("items", queryset=ApplicationItem.objects.select_related("offering")))
        .order_by("rank", "pk")
    )


# --- Public statistics ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFigures:
    call: Call
    submitted: int
    selected: int


def public_call_figures() -> list[CallFigures]:
    """Every call with its submitted and selected applications: one query."""
    calls = Call.objects.annotate(
        submitted=Count("applications", filter=Q(applications__status__in=RANKED_STATUSES)),
        selected=Count("applications", filter=Q(applications__status=Application.Status.APPROVED)),
    ).order_by("-opens_at", "-pk")
    return [CallFigures(call, call.submitted, call.selected) for call in calls]


def listed_selections() -> QuerySet[Application]:
    """Selected applications of organisations that consented to be named publicly."""
    return (
        Application.objects.filter(status=Application.Status.APPROVED, organization__listed_publicly=True)
        .select_related("organization", "call")
        .only(
            "pk",
            "project_title",
            "call__title",
            "call__opens_at",
            "organization__legal_name",
            "organization__region",
            "organization__industry",
        )
        .order_by("-call__opens_at", "organization__legal_name")
    )
