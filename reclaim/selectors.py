"""Reads of reclaim: the organisation's cases (its members' scope built in), a case's usage as
bars, the cases of an application's page, and what was reclaimed and where it went."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Call
from metering import selectors as metering
from pool.models import Offering
from reclaim.models import OPEN_STATES, RECLAIMING_STATES, ReclaimCase, ReclaimOffer, ReclaimPolicy

# --- Scopes -------------------------------------------------------------------------------------


def cases_of_member(user: User) -> QuerySet[ReclaimCase]:
    """The reclaim cases of the user's organisations (the ones a member may read and answer)."""
    if not user.is_authenticated:
        return ReclaimCase.objects.none()
    return ReclaimCase.objects.filter(organization__memberships__user=user).select_related(
        "allocation__offering", "allocation__application_item", "organization", "call", "answered_by"
    )


def reclaim_queue(cases: QuerySet[ReclaimCase]) -> QuerySet[ReclaimCase]:
    """The reviewer's queue: what each row shows, in one query per page."""
    return cases.select_related("organization", "call", "allocation__offering")


# The queue's order: the most idle units first, then the earliest due date.
QUEUE_ORDER = ("-idle_units", "due_on", "pk")


# --- A case's usage, as bars --------------------------------------------------------------------

CHART_DAYS = 90
CHART_HEIGHT = 60
BAR_WIDTH = 4


@dataclass(frozen=True)
class Bar:
    day: date
    used: Decimal | None
    granted: Decimal
    x: int
    height: int  # of the used bar, in the chart's units (granted = CHART_HEIGHT)

    @property
    def y(self) -> int:
        return CHART_HEIGHT - self.height

    @property
    def percent(self) -> Decimal | None:
        if self.used is None or not self.granted:
            return None
        return (Decimal(100) * self.used / self.granted).quantize(Decimal("1"))


@dataclass(frozen=True)
class UsageChart:
    bars: list[Bar] = field(default_factory=list)
    height: int = CHART_HEIGHT

    @property
    def width(self) -> int:
        return len(self.bars) * BAR_WIDTH

    @property
    def first(self) -> date | None:
        return self.bars[0].day if self.bars else None

    @property
    def last(self) -> date | None:
        return self.bars[-1].day if self.bars else None


def usage_chart(case: ReclaimCase, *, until: date | None = None) -> UsageChart:
    """The allocation's daily use against its daily grant (``metering.daily_usage``) over the
    last ``CHART_DAYS`` days of service collected up to ``until`` (today by default; at least the
    case's window), as bars of a server-rendered SVG. One query. Reads ``case.allocation.offering``."""
    until = max(until or timezone.localdate(), case.window_ends_on)
    days = [day for day in metering.daily_usage(case.allocation) if day.day <= until]
    while days and days[-1].used is None:  # not collected yet
        days.pop()
    days = days[-CHART_DAYS:]
    bars = []
    for n, day in enumerate(days):
        share = min(day.used / day.granted, Decimal(1)) if day.used is not None and day.granted else Decimal(0)
        bars.append(
            Bar(
                day=day.day,
                used=day.used,
                granted=day.granted,
                x=n * BAR_WIDTH,
                height=int((share * CHART_HEIGHT).to_integral_value()),
            )
        )
    return UsageChart(bars=bars)


# --- The application's page ---------------------------------------------------------------------


@dataclass
class ReclaimSection:
    cases: list[ReclaimCase]
    today: date


def reclaim_section(application: Application, can_act: bool) -> ReclaimSection | None:
    """The reclaim cases of the application's allocations, the open ones first; None when it
    has none (one query)."""
    if not application.is_approved:
        return None
    cases = list(
        ReclaimCase.objects.filter(allocation__application_item__application=application)
        .select_related("allocation__offering")
        .order_by("-created_at", "-pk")
    )
    if not cases:
        return None
    cases.sort(key=lambda case: not case.is_open)
    return ReclaimSection(cases=cases, today=timezone.localdate())


def policy_of(call: Call) -> ReclaimPolicy | None:
    """The call's reclaim policy in force, for its public page; None without one."""
    return ReclaimPolicy.objects.filter(call=call, enabled=True).first()


# --- Reclaimed capacity and where it went -------------------------------------------------------


@dataclass
class ReclaimedOffering:
    offering: Offering
    cases: int = 0
    units: int = 0
    offered_units: int = 0
    offers: list[ReclaimOffer] = field(default_factory=list)


def reclaimed_capacity(start: date, end: date, call: Call | None = None) -> list[ReclaimedOffering]:
    """Per offering, the cases decided from ``start`` to ``end`` (Korea's dates) that took units
    back, the units reclaimed, and the wait-listed applications approved with them. Three
    queries whatever the number of cases."""
    decided = ReclaimCase.objects.filter(
        state__in=RECLAIMING_STATES,
        decided_at__date__gte=start,
        decided_at__date__lte=end,
    )
    if call is not None:
        decided = decided.filter(call=call)
    totals = (
        decided.order_by()
        .values("allocation__offering")
        .annotate(cases=Count("pk"), units=Sum("reclaimed_units"))
        .values_list("allocation__offering", "cases", "units")
    )
    rows: dict[int, ReclaimedOffering] = {}
    offerings = {
        offering.pk: offering for offering in Offering.objects.filter(allocations__reclaim_cases__in=decided).distinct()
    }
    for offering_id, cases, units in totals:
        rows[offering_id] = ReclaimedOffering(offering=offerings[offering_id], cases=cases, units=units or 0)
    offers = ReclaimOffer.objects.filter(case__in=decided).select_related(
        "case__allocation", "case__organization", "application__organization", "application__call"
    )
    for offer in offers.order_by("created_at", "pk"):
        row = rows[offer.case.allocation.offering_id]
        row.offers.append(offer)
        row.offered_units += offer.units
    return sorted(rows.values(), key=lambda row: (-row.units, row.offering.name))


def open_case_count() -> int:
    return ReclaimCase.objects.filter(state__in=OPEN_STATES).count()


def default_period(today: date | None = None) -> tuple[date, date]:
    """The summary's period unless asked otherwise: the last year up to today."""
    today = today or timezone.localdate()
    return today - timedelta(days=365), today
