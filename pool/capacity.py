"""The capacity pool's arithmetic: phases, the per-day ledger, and what fits.

Granularity is one day per offering (``CapacityLedger``): a phase can start on any date and an
allocation can start and end on any date, so days are exact where months would be coarse.

Every "does it fit?" of the portal is one function, ``fit``: a grant, a batch of grants taken in
rank order, filling a call by priority on paper, an extension or a supplement, and the decision
pages' previews (``preview``). It answers on the free units of the days concerned
(``FreeUnits``), read as they are for a preview (``free_units``) or read from the ledger rows
locked in (offering, day) order for a decision (``lock_ledger``), so that the answer cannot
change before the write. The ledger's CHECK still has the last word.
"""

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from pool.models import CapacityLedger, CapacityPhase, Offering
from portal import formats
from portal.errors import DomainError

Phases = list[tuple[date, int]]
Period = tuple[int, date, date]  # offering id, first day, last day
Day = tuple[int, date]  # offering id, day


def capacity_on(phases: Phases, day: date) -> int:
    """Units available on ``day``: the latest phase starting on or before it (0 before the first).

    ``phases`` is sorted by start date.
    """
    index = bisect_right([start for start, _units in phases], day)
    return phases[index - 1][1] if index else 0


def phases_of(offering_id: int) -> Phases:
    return list(
        CapacityPhase.objects.filter(offering_id=offering_id).order_by("starts_on").values_list("starts_on", "units")
    )


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# --- What is wanted, what is free, what does not fit ---------------------------------------------


@dataclass(frozen=True)
class Need:
    """``units`` of ``offering`` on every day from ``starts_on`` to ``ends_on``."""

    offering: Offering
    units: int
    starts_on: date
    ends_on: date

    @property
    def period(self) -> Period:
        return (self.offering.pk, self.starts_on, self.ends_on)


@dataclass(frozen=True)
class Shortfall:
    """A need that does not fit: ``wanted`` units, only ``free`` on ``day`` (its tightest day)."""

    offering: Offering
    wanted: int
    free: int
    day: date

    @property
    def message(self) -> str:
        return _("%(offering)s: %(wanted)s %(unit)s wanted, only %(free)s free on %(day)s.") % {
            "offering": self.offering.name,
            "wanted": formats.figure(self.wanted),
            "unit": self.offering.get_unit_display(),
            "free": formats.figure(max(self.free, 0)),
            "day": formats.day(self.day),
        }


class DoesNotFit(DomainError):
    """The grant or change needs more than the pool has free in its period."""

    def __init__(self, shortfalls: list[Shortfall]):
        self.shortfalls = shortfalls
        super().__init__(" ".join(shortfall.message for shortfall in shortfalls))


class FreeUnits:
    """Free units (capacity − reserved) per offering and day, for the days asked about."""

    def __init__(self, figures: dict[Day, int]):
        self._free = figures

    def on(self, offering_id: int, day: date) -> int:
        return self._free[(offering_id, day)]

    def tightest(self, offering_id: int, start: date, end: date) -> tuple[int, date]:
        """The least free units over the period, and its first day with that figure."""
        return min((self._free[(offering_id, day)], day) for day in days(start, end))

    def copy(self) -> "FreeUnits":
        """Another set of the same figures, for a second plan on the same reading."""
        return FreeUnits(dict(self._free))

    def take(self, offering_id: int, start: date, end: date, units: int) -> None:
        for day in days(start, end):
            self._free[(offering_id, day)] -= units


def fit(free: FreeUnits, needs: Iterable[Need], *, take: bool = False) -> list[Shortfall]:
    """What of ``needs`` does not fit in ``free``: one ``Shortfall`` per need whose least free
    units over its days are fewer than it wants, naming that tightest day. Needs of the same
    offering count together, in the order given. An empty list: all of it fits.

    With ``take``, and only when all of it fits, ``free`` keeps what is left, so that a batch
    decided in order (rank order) goes on with what the previous grants left.
    """
    needs = list(needs)
    left = FreeUnits(dict(free._free))
    shortfalls = []
    for need in needs:
        available, day = left.tightest(*need.period)
        if available < need.units:
            shortfalls.append(Shortfall(need.offering, need.units, available, day))
        left.take(*need.period, need.units)
    if take and not shortfalls:
        free._free = left._free
    return shortfalls


def _merged(periods: Iterable[Period]) -> list[Period]:
    """The same days as ``periods``, as few periods as possible (overlapping ones joined)."""
    merged: list[Period] = []
    for offering_id, start, end in sorted(periods):
        if merged and merged[-1][0] == offering_id and start <= merged[-1][2] + timedelta(days=1):
            merged[-1] = (offering_id, merged[-1][1], max(merged[-1][2], end))
        else:
            merged.append((offering_id, start, end))
    return merged


def free_units(periods: Iterable[Period]) -> FreeUnits:
    """The free units of every day of ``periods``, as they are now (for previews and plans: the
    figures may change before anything is written). Days without a ledger row yet hold nothing;
    their capacity comes from the phases. Two queries, whatever the number of offerings and the
    periods' length: the offerings' phases, and their ledger rows in the periods.
    """
    by_offering: dict[int, list[Period]] = {}
    for period in _merged(periods):
        by_offering.setdefault(period[0], []).append(period)
    if not by_offering:
        return FreeUnits({})
    phases: dict[int, Phases] = {offering_id: [] for offering_id in by_offering}
    for offering_id, starts_on, units in (
        CapacityPhase.objects.filter(offering_id__in=by_offering)
        .order_by("offering_id", "starts_on")
        .values_list("offering_id", "starts_on", "units")
    ):
        phases[offering_id].append((starts_on, units))
    condition = Q()
    for offering_periods in by_offering.values():
        for offering_id, start, end in offering_periods:
            condition |= Q(offering_id=offering_id, day__range=(start, end))
    reserved = {
        (offering_id, day): units
        for offering_id, day, units in CapacityLedger.objects.filter(condition).values_list(
            "offering_id", "day", "reserved"
        )
    }
    figures: dict[Day, int] = {}
    for offering_id, offering_periods in by_offering.items():
        for _offering_id, start, end in offering_periods:
            for day in days(start, end):
                figures[(offering_id, day)] = capacity_on(phases[offering_id], day) - reserved.get(
                    (offering_id, day), 0
                )
    return FreeUnits(figures)


@dataclass(frozen=True)
class Availability:
    offering_id: int
    start: date
    end: date
    free: int  # the least free units on any day of the period
    tightest_day: date


def availability(offering_id: int, start: date, end: date) -> Availability:
    """Free units over a period on its tightest day, as they are now (two queries)."""
    free, tightest_day = free_units([(offering_id, start, end)]).tightest(offering_id, start, end)
    return Availability(offering_id, start, end, free, tightest_day)


@dataclass(frozen=True)
class DayCapacity:
    """One day of an offering: its capacity (from the phases), what allocations hold, what is free."""

    day: date
    capacity: int
    reserved: int

    @property
    def free(self) -> int:
        return self.capacity - self.reserved


def capacity_days(offering_id: int, start: date, end: date) -> list[DayCapacity]:
    """Every day from ``start`` to ``end`` of an offering, as it is now: the figures ``free_units``
    reads, with the capacity and the reserved units apart. Two queries (phases, ledger)."""
    phases = phases_of(offering_id)
    reserved = dict(
        CapacityLedger.objects.filter(offering_id=offering_id, day__range=(start, end)).values_list("day", "reserved")
    )
    return [DayCapacity(day, capacity_on(phases, day), reserved.get(day, 0)) for day in days(start, end)]


@dataclass(frozen=True)
class Preview:
    """What a need does to the pool: the least free units over its days now, and after it."""

    need: Need
    free: int
    tightest_day: date

    @property
    def after(self) -> int:
        return self.free - self.need.units

    @property
    def fits(self) -> bool:
        return self.free >= self.need.units


def preview(needs: Iterable[Need]) -> list[Preview]:
    """Each need on its own against the pool as it is now (the decision pages' capacity column)."""
    needs = list(needs)
    free = free_units(need.period for need in needs)
    return [Preview(need, *free.tightest(*need.period)) for need in needs]


# --- Locking the ledger -------------------------------------------------------------------------


def _create_ledger_days(offering_id: int, start: date, end: date) -> None:
    # Lock the offering so that a concurrent phase edit (capacity_phases_set locks it too)
    # cannot leave the new rows with a stale capacity.
    # no_key: conflicts with another such lock, not with the FOR KEY SHARE of foreign-key checks.
    Offering.objects.select_for_update(no_key=True).filter(pk=offering_id).exists()
    phases = phases_of(offering_id)
    CapacityLedger.objects.bulk_create(
        [
            CapacityLedger(offering_id=offering_id, day=day, capacity=capacity_on(phases, day), reserved=0)
            for day in days(start, end)
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def lock_ledger(periods: Iterable[Period]) -> FreeUnits:
    """Lock the ledger rows of (offering, start, end) periods in one fixed order, creating the
    rows a period does not have yet (with the capacity its phases give), and return the free
    units of every locked (offering, day). Call in a transaction.

    Every writer of the ledger locks by (offering, day) ascending before the statement that moves
    it, so two transactions spanning GPU and storage in opposite orders, or a grant and a
    release, wait for each other instead of deadlocking. While the locks are held the figures
    are exact: the caller decides what fits (``fit``) before it writes, and the ledger's CHECK
    still refuses what does not.
    """
    merged = _merged(periods)
    if not merged:
        return FreeUnits({})
    condition = Q()
    for offering_id, start, end in merged:
        condition |= Q(offering_id=offering_id, day__range=(start, end))
    rows = CapacityLedger.objects.filter(condition)
    # Create missing days before taking any row lock: creating locks the offering, and waiting
    # for it while holding ledger rows could deadlock with a transaction doing the reverse.
    if rows.count() != sum((end - start).days + 1 for _offering_id, start, end in merged):
        for offering_id, start, end in merged:
            _create_ledger_days(offering_id, start, end)
    locked = rows.select_for_update().order_by("offering_id", "day")
    return FreeUnits(
        {
            (offering_id, day): capacity - reserved
            for offering_id, day, capacity, reserved in locked.values_list("offering_id", "day", "capacity", "reserved")
        }
    )


# --- Phases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseConflict:
    day: date
    reserved: int
    capacity: int


def phase_conflicts(offering_id: int, phases: Phases) -> list[PhaseConflict]:
    """The days on which the proposed phases would leave less capacity than is allocated.

    Consecutive days with the same figures are reported once (the first day of each run).
    """
    phases = sorted(phases)
    conflicts: list[PhaseConflict] = []
    rows = CapacityLedger.objects.filter(offering_id=offering_id, reserved__gt=0).order_by("day")
    for day, reserved in rows.values_list("day", "reserved"):
        capacity = capacity_on(phases, day)
        if reserved > capacity:
            previous = conflicts[-1] if conflicts else None
            if previous and (previous.reserved, previous.capacity) == (reserved, capacity):
                continue
            conflicts.append(PhaseConflict(day, reserved, capacity))
    return conflicts


def units_in_pf(offering: Offering, units: int) -> Decimal | None:
    """Peak performance of ``units`` of a compute offering, in PF (1 PF = 1,000 TFLOPS)."""
    if offering.unit_tflops is None:
        return None
    return (offering.unit_tflops * units / 1000).quantize(Decimal("0.01"))
