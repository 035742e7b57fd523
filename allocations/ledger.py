"""The ledger's audit: every ledger day recomputed from the allocations and phases it summarises
(what ``check_capacity`` and its hourly beat job report)."""

from dataclasses import dataclass
from datetime import date

from allocations.models import HOLDING_STATES, Allocation
from pool.capacity import capacity_on, days, phases_of
from pool.models import CapacityLedger, Offering


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
