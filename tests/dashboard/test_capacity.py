"""The pool over time and today, and what ends soon (dashboard.selectors.capacity), against values
worked out by hand for the world in conftest.py."""

from decimal import Decimal

from dashboard.selectors import capacity
from dashboard.selectors.capacity import Run
from pool.models import Offering
from tests.allocations.conftest import make_pool
from tests.dashboard.conftest import day


def test_capacity_runs_follow_the_phases_and_every_allocation_state(world):
    [gpu] = capacity.capacity_overview(day(0), day(21), today=day(9))

    assert gpu.runs == [
        Run(day(0), day(1), capacity=10, in_service=4, being_provisioned=0),  # C
        Run(day(2), day(3), capacity=10, in_service=9, being_provisioned=0),  # C + D
        Run(day(4), day(4), capacity=10, in_service=5, being_provisioned=0),  # D
        Run(day(5), day(5), capacity=10, in_service=8, being_provisioned=0),  # D + A; D revoked on day 6
        Run(day(6), day(7), capacity=10, in_service=3, being_provisioned=0),  # A
        Run(day(8), day(9), capacity=10, in_service=3, being_provisioned=2),  # A, B pending
        Run(day(10), day(12), capacity=20, in_service=3, being_provisioned=2),  # the phase of 20 units
        Run(day(13), day(14), capacity=20, in_service=3, being_provisioned=0),
        Run(day(15), day(21), capacity=20, in_service=0, being_provisioned=0),  # E failed: never counted
    ]
    assert gpu.runs[5].free == 5


def test_a_range_starting_inside_allocations_counts_them_from_its_first_day(world):
    [gpu] = capacity.capacity_overview(day(3), day(5), today=day(9))

    assert gpu.runs == [
        Run(day(3), day(3), capacity=10, in_service=9, being_provisioned=0),
        Run(day(4), day(4), capacity=10, in_service=5, being_provisioned=0),
        Run(day(5), day(5), capacity=10, in_service=8, being_provisioned=0),
    ]


def test_today_counts_what_holds_capacity_on_the_ledger(world):
    [gpu] = capacity.capacity_overview(day(0), day(21), today=day(9))

    assert (gpu.capacity_today, gpu.allocated_today) == (10, 5)  # A active 3 + B pending 2
    assert gpu.utilisation_today == Decimal("50.0")
    [later] = capacity.capacity_overview(day(0), day(21), today=day(11))
    assert (later.capacity_today, later.allocated_today, later.utilisation_today) == (20, 5, Decimal("25.0"))


def test_totals_are_in_petaflops_and_petabytes(world):
    Offering.objects.filter(pk=world.offering.pk).update(unit_tflops=Decimal("19.5"))
    make_pool(10_700, name="Storage", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
    make_pool(2_000, name="Data lake", kind=Offering.Kind.DATA_LAKE, unit=Offering.Unit.TB)  # not storage

    totals = capacity.pool_totals(capacity.capacity_overview(day(0), day(1), today=day(9)))

    assert totals.compute_capacity_pf == Decimal("0.20")  # 10 × 19.5 TFLOPS = 0.195 PF
    assert totals.compute_allocated_pf == Decimal("0.10")  # 5 × 19.5 = 0.0975 PF
    assert totals.storage_capacity_pb == Decimal("10.70")
    assert totals.storage_allocated_pb == Decimal("0.00")
    assert totals.storage_utilisation == Decimal("0.0")


def test_many_runs_are_tabled_by_month_with_peaks_and_the_least_free(world):
    from datetime import date

    runs = [
        Run(date(2031, 1, 1), date(2031, 1, 20), capacity=10, in_service=2, being_provisioned=0),
        Run(date(2031, 1, 21), date(2031, 2, 3), capacity=10, in_service=7, being_provisioned=1),
        Run(date(2031, 2, 4), date(2031, 2, 28), capacity=20, in_service=3, being_provisioned=0),
    ]

    assert capacity.monthly(runs) == [
        capacity.MonthSummary(date(2031, 1, 1), date(2031, 1, 31), 10, 7, 1, 2),
        capacity.MonthSummary(date(2031, 2, 1), date(2031, 2, 28), 20, 7, 1, 2),
    ]
    [gpu] = capacity.capacity_overview(day(0), day(21), today=day(9))
    assert gpu.table == gpu.runs and not gpu.table_is_monthly  # nine runs: listed one by one


def test_expiring_lists_active_allocations_ending_within_thirty_days(world):
    assert list(capacity.expiring_allocations(today=day(0))) == [world.allocations["A"]]  # ends day 14
    assert list(capacity.expiring_allocations(today=day(15))) == []  # A ended; B is not active
    assert list(capacity.expiring_allocations(today=day(-16))) == [world.allocations["A"]]  # ends on day 30 after
    assert list(capacity.expiring_allocations(today=day(-17))) == []  # 31 days before its end: too far
