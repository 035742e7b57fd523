"""The chosen call: the calls to choose from, what its applications ask for against the free
supply of its service period, how far they went (the funnel), and its wait-list."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.models import Allocation, AllocationState
from allocations.usage import BEING_PROVISIONED_STATES, IN_SERVICE_STATES
from applications.models import Application, ApplicationItem, Call, PriorityClaim
from dashboard.selectors.capacity import MAX_RANGE_DAYS, phases_by_offering
from pool.capacity import Phases, capacity_on
from pool.models import CapacityLedger, Offering

# --- The calls to choose from --------------------------------------------------------------------


def calls_for_filter() -> list[Call]:
    return list(Call.objects.order_by("-opens_at", "-pk"))


def default_call(calls: list[Call], now: datetime | None = None) -> Call | None:
    """The call the dashboard opens on: the open call closing last, else the latest call."""
    now = now or timezone.now()
    open_calls = [call for call in calls if call.opens_at <= now <= call.deadline]
    if open_calls:
        return max(open_calls, key=lambda call: (call.deadline, call.pk))
    return calls[0] if calls else None


# Without a period asked for, the capacity sections show half a year either side of today…
DEFAULT_DAYS_BACK = 180
DEFAULT_DAYS_AHEAD = 180


def default_period(call: Call | None, today: date) -> tuple[date, date]:
    """The days the dashboard shows when none are asked for: half a year either side of today,
    widened to the chosen call's whole service period, so that its demand, grants and expiries
    fall inside the charts. When both together exceed the longest period the dashboard shows
    (an old call), the call's service period alone."""
    start, end = today - timedelta(days=DEFAULT_DAYS_BACK), today + timedelta(days=DEFAULT_DAYS_AHEAD)
    if call is None:
        return start, end
    start, end = min(start, call.service_starts_on), max(end, call.service_ends_on)
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        start = call.service_starts_on
        end = min(call.service_ends_on, start + timedelta(days=MAX_RANGE_DAYS - 1))
    return start, end


# --- Demand and free supply ----------------------------------------------------------------------


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
            # An application asks for an offering once (``application_item_one_per_offering``):
            # counting the items of an offering counts its applications, without a DISTINCT.
            awaiting_applications=Count("pk", filter=Q(application__status__in=awaiting_statuses)),
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


# --- The funnel ----------------------------------------------------------------------------------


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


# --- The wait-list -------------------------------------------------------------------------------


def waitlist(call: Call) -> QuerySet[Application]:
    """The call's wait-listed applications in rank order, with what they asked for.

    The rank is the column the database keeps on each application (``Application.rank``,
    rewritten by the rank triggers whenever the call's ranking changes), so the page reads the
    wait-list's own rows and never ranks the call.
    """
    return (
        Application.objects.filter(call=call, status=Application.Status.WAITLISTED)
        .select_related("organization")
        .prefetch_related(Prefetch("items", queryset=ApplicationItem.objects.select_related("offering")))
        .order_by("rank", "pk")
    )
