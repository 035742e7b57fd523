"""Every dashboard figure against values worked out by hand for the world in conftest.py."""

from decimal import Decimal

from dashboard import selectors
from dashboard.selectors import Run
from pool.models import CapacityPhase, Offering
from tests.allocations.conftest import make_pool
from tests.dashboard.conftest import day


def test_capacity_runs_follow_the_phases_and_every_allocation_state(world):
    [gpu] = selectors.capacity_overview(day(0), day(21), today=day(9))

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
    [gpu] = selectors.capacity_overview(day(3), day(5), today=day(9))

    assert gpu.runs == [
        Run(day(3), day(3), capacity=10, in_service=9, being_provisioned=0),
        Run(day(4), day(4), capacity=10, in_service=5, being_provisioned=0),
        Run(day(5), day(5), capacity=10, in_service=8, being_provisioned=0),
    ]


def test_today_counts_what_holds_capacity_on_the_ledger(world):
    [gpu] = selectors.capacity_overview(day(0), day(21), today=day(9))

    assert (gpu.capacity_today, gpu.allocated_today) == (10, 5)  # A active 3 + B pending 2
    assert gpu.utilisation_today == Decimal("50.0")
    [later] = selectors.capacity_overview(day(0), day(21), today=day(11))
    assert (later.capacity_today, later.allocated_today, later.utilisation_today) == (20, 5, Decimal("25.0"))


def test_totals_are_in_petaflops_and_petabytes(world):
    Offering.objects.filter(pk=world.offering.pk).update(unit_tflops=Decimal("19.5"))
    make_pool(10_700, name="Storage", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
    make_pool(2_000, name="Data lake", kind=Offering.Kind.DATA_LAKE, unit=Offering.Unit.TB)  # not storage

    totals = selectors.pool_totals(selectors.capacity_overview(day(0), day(1), today=day(9)))

    assert totals.compute_capacity_pf == Decimal("0.20")  # 10 × 19.5 TFLOPS = 0.195 PF
    assert totals.compute_allocated_pf == Decimal("0.10")  # 5 × 19.5 = 0.0975 PF
    assert totals.storage_capacity_pb == Decimal("10.70")
    assert totals.storage_allocated_pb == Decimal("0.00")
    assert totals.storage_utilisation == Decimal("0.0")


def test_demand_sets_what_awaits_a_decision_against_the_tightest_free_day(world):
    [demand] = selectors.call_demand(world.call, [world.offering])

    assert demand.awaiting_applications == 2  # F submitted, G wait-listed
    assert demand.awaiting == 10
    assert demand.granted == 14  # A 3 + B 2 + C 4 + D 5; E failed
    # Days 8 and 9: capacity 10, A and B hold 5. Later days have 20 units.
    assert demand.free == 5
    assert demand.shortfall == 5
    assert demand.coverage == Decimal("50.0")


def test_free_supply_counts_days_without_a_ledger_row_at_their_capacity(world):
    CapacityPhase.objects.create(offering=world.offering, starts_on=day(40), units=1)

    [demand] = selectors.call_demand(world.call, [world.offering])

    assert demand.free == 1  # from day 40 only one unit exists, and nothing holds it


def test_funnel_counts_each_stage(world):
    funnel = selectors.call_funnel(world.call)

    assert [(key, value) for key, _label, value in funnel.stages] == [
        ("started", 10),
        ("submitted", 9),  # all but the draft H
        ("decided", 7),  # 5 approved, G wait-listed, I rejected
        ("approved", 5),
        ("provisioned", 3),  # A active, C expired, D revoked; B pending and E failed are not
    ]
    assert funnel.by_status == {
        "draft": 1,
        "submitted": 1,
        "approved": 5,
        "waitlisted": 1,
        "rejected": 1,
        "withdrawn": 1,
    }
    assert funnel.without_claim == 6  # submitted without a claim: all but A, F, G


def test_breakdowns_count_submitted_applications_and_approvals(world):
    breakdowns = {b.dimension: {row.key: (row.applications, row.approved) for row in b.rows} for b in
                  selectors.call_breakdowns(world.call)}  # fmt: skip

    assert breakdowns["priority"] == {"gwangju_located": (2, 1), "relocating": (1, 0), "cluster_participant": (1, 0)}
    assert breakdowns["org_type"] == {
        "mid_sized": (0, 0),
        "sme": (5, 3),  # A B E approved, G, J; the draft H does not count
        "venture": (1, 1),
        "public": (1, 0),
        "university": (2, 1),
        "other": (0, 0),
    }
    assert breakdowns["region"]["gwangju"] == (4, 2)
    assert breakdowns["region"]["seoul"] == (4, 2)  # C D approved, I, J
    assert breakdowns["region"]["busan"] == (1, 1)
    assert breakdowns["region"]["daegu"] == (0, 0)  # H is a draft
    assert sum(applications for applications, _ in breakdowns["region"].values()) == 9
    assert breakdowns["industry"] == {
        "automotive": (1, 1),
        "energy": (2, 2),
        "healthcare": (3, 2),
        "cultural_content": (0, 0),
        "other": (3, 0),
    }
    assert breakdowns["purpose"] == {"training": (5, 3), "inference": (2, 1), "analytics": (2, 1)}


def test_breakdowns_over_all_calls_include_every_call(world):
    from tests.allocations.conftest import make_call, submitted_application

    submitted_application(make_call(world.offering), (world.offering, 1))

    purpose = next(b for b in selectors.call_breakdowns(None) if b.dimension == "purpose")
    assert sum(row.applications for row in purpose.rows) == 10


def test_expiring_lists_active_allocations_ending_within_thirty_days(world):
    assert list(selectors.expiring_allocations(today=day(0))) == [world.allocations["A"]]  # ends day 14
    assert list(selectors.expiring_allocations(today=day(15))) == []  # A ended; B is not active
    assert list(selectors.expiring_allocations(today=day(-16))) == [world.allocations["A"]]  # ends on day 30 after
    assert list(selectors.expiring_allocations(today=day(-17))) == []  # 31 days before its end: too far


def test_wait_list_is_in_rank_order(world):
    from tests.allocations.conftest import submitted_application

    later = submitted_application(world.call, (world.offering, 1))
    later.status = "waitlisted"
    later.priority_score = 50  # ranks above G
    later.save(update_fields=["status", "priority_score"])

    waitlist = list(selectors.waitlist(world.call))

    assert [application.pk for application in waitlist] == [later.pk, world.applications["G"].pk]
    assert waitlist[0].rank < waitlist[1].rank


def test_public_figures_count_submissions_and_selections_per_call(world):
    [figures] = selectors.public_call_figures()

    assert (figures.submitted, figures.selected) == (8, 5)  # draft and withdrawn are not submissions


def test_only_consenting_organisations_are_listed_publicly(world):
    organization = world.applications["A"].organization
    organization.listed_publicly = True
    organization.save()
    world.applications["F"].organization.__class__.objects.filter(pk=world.applications["F"].organization.pk).update(
        listed_publicly=True
    )  # consented, but not selected

    assert [application.pk for application in selectors.listed_selections()] == [world.applications["A"].pk]


def test_many_runs_are_tabled_by_month_with_peaks_and_the_least_free(world):
    from datetime import date

    runs = [
        Run(date(2031, 1, 1), date(2031, 1, 20), capacity=10, in_service=2, being_provisioned=0),
        Run(date(2031, 1, 21), date(2031, 2, 3), capacity=10, in_service=7, being_provisioned=1),
        Run(date(2031, 2, 4), date(2031, 2, 28), capacity=20, in_service=3, being_provisioned=0),
    ]

    assert selectors.monthly(runs) == [
        selectors.MonthSummary(date(2031, 1, 1), date(2031, 1, 31), 10, 7, 1, 2),
        selectors.MonthSummary(date(2031, 2, 1), date(2031, 2, 28), 20, 7, 1, 2),
    ]
    [gpu] = selectors.capacity_overview(day(0), day(21), today=day(9))
    assert gpu.table == gpu.runs and not gpu.table_is_monthly  # nine runs: listed one by one
