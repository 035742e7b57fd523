"""The modelled cloud's usage: what the allocations it provisioned used, by a model.

Each allocation follows one profile for its whole service, chosen stably from its id: *busy*
(70–95 % of what was granted, every day), *bursty* (weeks of heavy use between weeks of little or
none), *ramping up* (from 5 % on the first day to about 90 % after 60 days) or *idle* (a few days
of trial, then nothing). A day's figure is the profile's share of the day's grant, with a
deterministic jitter from the allocation and the day, so collecting a day again gives the same
figures. GPU and CPU allocations report unit-hours (share × quantity × 24), storage TB held
(share × quantity), seats whole seats used. Never more than was granted.
"""

import zlib
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from allocations.models import Allocation
from metering.models import UsageSource
from metering.selectors import units_per_day
from pool.models import OfferingUnit

THOUSANDTH = Decimal("0.001")
RAMP_DAYS = 60


class Profile(StrEnum):
    BUSY = "busy"
    BURSTY = "bursty"
    RAMPING_UP = "ramping up"
    IDLE = "idle"


# Out of 20: 8 busy, 5 bursty, 4 ramping up, 3 idle.
PROFILES = [Profile.BUSY] * 8 + [Profile.BURSTY] * 5 + [Profile.RAMPING_UP] * 4 + [Profile.IDLE] * 3


def _draw(*parts: object) -> float:
    """A number in [0, 1) that depends only on ``parts`` (the same in every process and run)."""
    return zlib.crc32(":".join(str(part) for part in parts).encode()) / 2**32


def profile_of(allocation_id: int) -> Profile:
    return PROFILES[zlib.crc32(f"profile:{allocation_id}".encode()) % len(PROFILES)]


def share_of_day(allocation_id: int, starts_on: date, day: date) -> float:
    """The share (0 to 0.95) of a day's grant that the allocation uses on ``day``."""
    jitter = _draw(allocation_id, day.toordinal())
    days_in = (day - starts_on).days
    match profile_of(allocation_id):
        case Profile.BUSY:
            return 0.70 + 0.25 * jitter
        case Profile.BURSTY:
            if _draw(allocation_id, "week", days_in // 7) < 0.4:
                return 0.75 + 0.20 * jitter
            return 0.0 if jitter < 0.4 else 0.10 * jitter
        case Profile.RAMPING_UP:
            return min(0.90, 0.05 + 0.85 * days_in / RAMP_DAYS) * (0.85 + 0.15 * jitter)
        case Profile.IDLE:
            return 0.30 * jitter if days_in < 5 else 0.0


def modelled_use(allocation_id: int, unit: str, quantity: int, starts_on: date, day: date) -> Decimal:
    share = Decimal(share_of_day(allocation_id, starts_on, day))
    if unit == OfferingUnit.SEAT:
        return Decimal(int(share * quantity + Decimal("0.5")))
    return (share * units_per_day(unit, quantity)).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


class ModelledCloudSource:
    """Every allocation's usage, from its profile (the modelled cloud measures everything it provisioned)."""

    source = UsageSource.MODELLED

    def collect(self, day: date, allocations: Sequence[Allocation]) -> dict[int, Decimal]:
        return {
            allocation.pk: modelled_use(
                allocation.pk, allocation.offering.unit, allocation.quantity, allocation.starts_on, day
            )
            for allocation in allocations
        }
