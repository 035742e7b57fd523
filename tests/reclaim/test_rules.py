"""The reclaim rule as a pure function: when an allocation is a candidate, and its idle units."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from reclaim.rules import LOW_UTILISATION, UNUSED, Measure, Thresholds, assess, units_needed, utilisation_percent

DEFAULT = Thresholds(threshold_percent=30, window_days=30, grace_days=30, idle_days=21)
FIRST = date(2031, 1, 1)


def measure(
    *, as_of=date(2031, 3, 4), used=Decimal(24 * 30), granted=Decimal(8 * 24 * 30), last_used_on=None, quantity=8
):
    last = last_used_on if last_used_on is not None else as_of
    return Measure(FIRST, as_of, Decimal(used), Decimal(granted), last, quantity)


def test_below_the_threshold_after_the_grace_period_is_low_utilisation():
    finding = assess(measure(), DEFAULT)
    assert finding is not None
    assert (finding.trigger, finding.utilisation_percent, finding.idle_units, finding.suggested_units) == (
        LOW_UTILISATION,
        Decimal("12.5"),
        7,
        1,
    )


@pytest.mark.parametrize(
    ("percent", "found"), [(Decimal("29.9"), True), (Decimal("30"), False), (Decimal("75"), False)]
)
def test_the_threshold_is_strict(percent, found):
    granted = Decimal(1000)
    assert (assess(measure(used=granted * percent / 100, granted=granted), DEFAULT) is not None) is found


def test_the_window_must_lie_after_the_first_days_of_service():
    # Window of 30 days ending on as_of starts on day 31 of service at the earliest.
    first_allowed = FIRST + timedelta(days=30 + 29)
    assert assess(measure(as_of=first_allowed - timedelta(days=1)), DEFAULT) is None
    assert assess(measure(as_of=first_allowed), DEFAULT) is not None


def test_no_use_for_the_idle_days_is_found_even_in_the_grace_period():
    as_of = FIRST + timedelta(days=25)
    assert assess(measure(as_of=as_of, used=0, last_used_on=as_of - timedelta(days=21)), DEFAULT).trigger == UNUSED
    assert assess(measure(as_of=as_of, used=0, last_used_on=as_of - timedelta(days=20)), DEFAULT) is None


def test_never_used_counts_from_the_first_day_of_service():
    never = Measure(FIRST, FIRST + timedelta(days=20), Decimal(0), Decimal(1000), None, 2)
    assert assess(never, DEFAULT).trigger == UNUSED
    assert assess(Measure(FIRST, FIRST + timedelta(days=19), Decimal(0), Decimal(1000), None, 2), DEFAULT) is None


def test_no_use_wins_over_low_utilisation_and_without_idle_days_only_the_threshold_counts():
    idle = measure(used=0, last_used_on=date(2031, 1, 20))
    assert assess(idle, DEFAULT).trigger == UNUSED
    without_idle = Thresholds(30, 30, 30, None)
    assert assess(idle, without_idle).trigger == LOW_UTILISATION
    assert assess(measure(as_of=FIRST + timedelta(days=25), used=0, last_used_on=FIRST), without_idle) is None


def test_nothing_before_service_and_nothing_without_a_grant():
    assert assess(Measure(FIRST, FIRST - timedelta(days=1), Decimal(0), Decimal(0), None, 1), DEFAULT) is None
    assert assess(measure(granted=0, used=0, last_used_on=date(2031, 3, 4)), DEFAULT) is None


@pytest.mark.parametrize(
    ("quantity", "used", "granted", "needed"),
    [(8, 24, 192, 1), (8, 25, 192, 2), (8, 0, 192, 0), (8, 192, 192, 8), (8, 500, 192, 8), (3, 1, 0, 3)],
)
def test_units_needed_round_up_and_stay_within_the_grant(quantity, used, granted, needed):
    assert units_needed(quantity, Decimal(used), Decimal(granted)) == needed


def test_utilisation_is_a_percentage_to_one_decimal():
    assert utilisation_percent(Decimal(1), Decimal(3)) == Decimal("33.3")
    assert utilisation_percent(Decimal(1), Decimal(0)) == Decimal(0)


def test_a_single_unit_in_low_use_has_nothing_idle_to_take_but_is_still_a_candidate():
    finding = assess(measure(quantity=1, used=Decimal(5), granted=Decimal(24 * 30)), DEFAULT)
    assert (finding.idle_units, finding.suggested_units) == (0, 1)
