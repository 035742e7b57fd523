"""The capacity pool: phases, the per-day ledger, and what is free.

Granularity is one day per offering (``CapacityLedger``): a phase can start on any date and an
allocation can start and end on any date, so days are exact where months would be coarse.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from allocations.models import HOLDING_STATES, Allocation, CapacityLedger, CapacityPhase, Offering

Phases = list[tuple[date, int]]


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


def _merged(periods: list[tuple[int, date, date]]) -> list[tuple[int, date, date]]:
    """The same days as ``periods``, as few periods as possible (overlapping ones joined)."""
    merged: list[tuple[int, date, date]] = []
    for offering_id, start, end in sorted(periods):
        if merged and merged[-1][0] == offering_id and start <= merged[-1][2] + timedelta(days=1):
            merged[-1] = (offering_id, merged[-1][1], max(merged[-1][2], end))
        else:
            merged.append((offering_id, start, end))
    return merged


def lock_ledger(periods: list[tuple[int, date, date]]) -> dict[tuple[int, date], int]:
    """Lock the ledger rows of (offering, start, end) periods in one fixed order, creating the
    rows a period does not have yet (with the capacity its phases give), and return the free
    units (capacity - reserved) of every locked (offering, day). Call in a transaction.

    Every writer locks by (offering, day) ascending, so two grants spanning GPU and storage in
    opposite orders wait for each other instead of deadlocking. While the locks are held the
    figures returned are exact: the caller can decide what fits before it writes, and the
    ledger's CHECK still refuses what does not.
    """
    periods = _merged(periods)
    if not periods:
        return {}
    condition = Q()
    for offering_id, start, end in periods:
        condition |= Q(offering_id=offering_id, day__range=(start, end))
    rows = CapacityLedger.objects.filter(condition)
    # Create missing days before taking any row lock: creating locks the offering, and waiting
    # for it while holding ledger rows could deadlock with a transaction doing the reverse.
    if rows.count() != sum((end - start).days + 1 for _offering_id, start, end in periods):
        for offering_id, start, end in periods:
            _create_ledger_days(offering_id, start, end)
    locked = rows.select_for_update().order_by("offering_id", "day")
    return {
        (offering_id, day): capacity - reserved
        for offering_id, day, capacity, reserved in locked.values_list("offering_id", "day", "capacity", "reserved")
    }


@dataclass(frozen=True)
class Availability:
    offering_id: int
    start: date
    end: date
    free: int  # the least free units on any day of the period
    tightest_day: date


def availability(offering_id: int, start: date, end: date) -> Availability:
    """Free units over a period (capacity minus what allocations hold) on its tightest day.

    Days without a ledger row yet hold nothing; their capacity comes from the phases. Two
    queries whatever the period's length.
    """
    phases = phases_of(offering_id)
    reserved = dict(
        CapacityLedger.objects.filter(offering_id=offering_id, day__range=(start, end)).values_list("day", "reserved")
    )
    free, tightest_day = min((capacity_on(phases, day) - reserved.get(day, 0), day) for day in days(start, end))
    return Availability(offering_id, start, end, free, tightest_day)


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


@dataclass(frozen=True)
class LedgerDrift:
    offering_id: int
    day: date
    ledger_reserved: int
    allocations_hold: int
    ledger_capacity: int
    phase_capacity: int

    @property
    def overcommitted(self) -> bool:
        return self.allocations_hold > self.phase_capacity


def ledger_drift(offering_ids: list[int] | None = None) -> list[LedgerDrift]:
    """Every ledger day whose figures differ from the allocations and phases they summarise.

    Recomputes from scratch (what ``check_capacity`` reports); an empty list means the ledger
    is exact and nothing is over-committed.
    """
    offerings = Offering.objects.all() if offering_ids is None else Offering.objects.filter(pk__in=offering_ids)
    drift: list[LedgerDrift] = []
    for offering in offerings.order_by("pk"):
        phases = phases_of(offering.pk)
        ledger = {
            day: (reserved, capacity)
            for day, reserved, capacity in CapacityLedger.objects.filter(offering=offering).values_list(
                "day", "reserved", "capacity"
            )
        }
        holds: dict[date, int] = {}
        allocations = Allocation.objects.filter(offering=offering, state__in=HOLDING_STATES)
        for start, end, quantity in allocations.values_list("starts_on", "ends_on", "quantity"):
            for day in days(start, end):
                holds[day] = holds.get(day, 0) + quantity
        for day in sorted(set(ledger) | set(holds)):
            reserved, capacity = ledger.get(day, (0, capacity_on(phases, day)))
            expected_capacity = capacity_on(phases, day)
            hold = holds.get(day, 0)
            if reserved != hold or capacity != expected_capacity or hold > expected_capacity or day not in ledger:
                drift.append(LedgerDrift(offering.pk, day, reserved, hold, capacity, expected_capacity))
    return drift
