"""The chosen call's demand, funnel and wait-list (dashboard.selectors.calls), against values worked
out by hand for the world in conftest.py."""

from decimal import Decimal

from dashboard.selectors import calls
from pool.models import CapacityPhase
from tests.dashboard.conftest import day


def test_demand_sets_what_awaits_a_decision_against_the_tightest_free_day(world):
    [demand] = calls.call_demand(world.call, [world.offering])

    assert demand.awaiting_applications == 2  # F submitted, G wait-listed
    assert demand.awaiting == 10
    assert demand.granted == 14  # A 3 + B 2 + C 4 + D 5; E failed
    # Days 8 and 9: capacity 10, A and B hold 5. Later days have 20 units.
    assert demand.free == 5
    assert demand.shortfall == 5
    assert demand.coverage == Decimal("50.0")


def test_free_supply_counts_days_without_a_ledger_row_at_their_capacity(world):
    CapacityPhase.objects.create(offering=world.offering, starts_on=day(40), units=1)

    [demand] = calls.call_demand(world.call, [world.offering])

    assert demand.free == 1  # from day 40 only one unit exists, and nothing holds it


def test_funnel_counts_each_stage(world):
    funnel = calls.call_funnel(world.call)

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


def test_wait_list_is_in_rank_order(world):
    from tests.allocations.conftest import submitted_application

    later = submitted_application(world.call, (world.offering, 1))
    later.status = "waitlisted"
    later.priority_score = 50  # ranks above G
    later.save(update_fields=["status", "priority_score"])

    waitlist = list(calls.waitlist(world.call))

    assert [application.pk for application in waitlist] == [later.pk, world.applications["G"].pk]
    assert waitlist[0].rank < waitlist[1].rank
