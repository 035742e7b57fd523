"""When an allocation is a reclaim candidate, and how many of its units sit idle: pure functions
of what was measured and the call's policy, with no database (tested exhaustively)."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

LOW_UTILISATION = "low_utilisation"
UNUSED = "unused"


@dataclass(frozen=True)
class Thresholds:
    """A reclaim policy's rule (``ReclaimPolicy``): below ``threshold_percent`` over
    ``window_days`` once ``grace_days`` of service have passed, or no use for ``idle_days``."""

    threshold_percent: int
    window_days: int
    grace_days: int
    idle_days: int | None


@dataclass(frozen=True)
class Measure:
    """What was measured of one allocation: its first day of service, the last day measured,
    what it used and was granted over the window ending that day, the last day with any use,
    and its units."""

    first_service_day: date
    as_of: date
    used: Decimal
    granted: Decimal
    last_used_on: date | None
    quantity: int


@dataclass(frozen=True)
class Finding:
    trigger: str  # LOW_UTILISATION or UNUSED
    utilisation_percent: Decimal  # used / granted over the window, to one decimal
    idle_units: int  # the units the use did not need: quantity - ceil(quantity × utilisation)
    suggested_units: int  # what a reduction would leave: the units used, at least one


def window(thresholds: Thresholds, as_of: date) -> tuple[date, date]:
    """The days over which utilisation is measured: ``window_days`` ending on ``as_of``."""
    return as_of - timedelta(days=thresholds.window_days - 1), as_of


def utilisation_percent(used: Decimal, granted: Decimal) -> Decimal:
    if granted <= 0:
        return Decimal(0)
    return (Decimal(100) * used / granted).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def units_needed(quantity: int, used: Decimal, granted: Decimal) -> int:
    """The units the measured use needed: ceil(quantity × used / granted), at most quantity."""
    if granted <= 0:
        return quantity
    return min(quantity, math.ceil(Decimal(quantity) * used / granted))


def assess(measure: Measure, thresholds: Thresholds) -> Finding | None:
    """Whether the allocation measured is a reclaim candidate under ``thresholds``, and why.

    *No use*: not used at all for ``idle_days`` days up to ``as_of`` (never used counts from the
    first day of service). *Low utilisation*: below ``threshold_percent`` over the window, which
    must lie wholly after the first ``grace_days`` days of service. No use wins when both hold.
    """
    if measure.as_of < measure.first_service_day:
        return None
    trigger = None
    idle_days = thresholds.idle_days
    if idle_days:
        idle_since = measure.last_used_on + timedelta(days=1) if measure.last_used_on else measure.first_service_day
        if (measure.as_of - idle_since).days + 1 >= idle_days:
            trigger = UNUSED
    percent = utilisation_percent(measure.used, measure.granted)
    if trigger is None:
        window_start, _end = window(thresholds, measure.as_of)
        measured_after_grace = window_start >= measure.first_service_day + timedelta(days=thresholds.grace_days)
        if measured_after_grace and measure.granted > 0 and percent < thresholds.threshold_percent:
            trigger = LOW_UTILISATION
    if trigger is None:
        return None
    needed = units_needed(measure.quantity, measure.used, measure.granted)
    return Finding(
        trigger=trigger,
        utilisation_percent=percent,
        idle_units=measure.quantity - needed,
        suggested_units=max(needed, 1),
    )
