from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations import ledger, tasks
from allocations.services import decisions, filling, provisioning
from pool import capacity
from pool import services as pool_services
from pool.models import CapacityPhase
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, make_pool, submitted_application

pytestmark = pytest.mark.django_db


def test_capacity_at_a_time_is_the_latest_phase_on_or_before_it():
    phases = [(date(2021, 4, 15), 282), (date(2024, 1, 1), 2820)]

    assert capacity.capacity_on(phases, date(2021, 4, 14)) == 0
    assert capacity.capacity_on(phases, date(2021, 4, 15)) == 282
    assert capacity.capacity_on(phases, date(2023, 12, 31)) == 282
    assert capacity.capacity_on(phases, date(2024, 1, 1)) == 2820


def test_units_report_in_petaflops():
    offering = make_pool(282)
    offering.unit_tflops = Decimal("19.5")

    assert str(capacity.units_in_pf(offering, 282)) == "5.50"


def test_a_phase_lowering_capacity_below_what_is_allocated_is_refused_naming_the_day(reviewer, gpu_pool):
    decisions.application_approve(
        actor=reviewer,
        application=submitted_application(make_call(gpu_pool), (gpu_pool, 8, date(2031, 2, 1), date(2031, 2, 28))),
    )

    with pytest.raises(pool_services.PhaseConflictError) as refused:
        pool_services.capacity_phases_set(
            actor=None, offering=gpu_pool, phases=[(date(2030, 1, 1), 10, False, ""), (date(2031, 2, 10), 5, True, "")]
        )

    assert "2031년 2월 10일(월)" in str(refused.value)
    assert list(gpu_pool.phases.values_list("units", flat=True)) == [10]


def test_phases_can_be_replaced_in_any_shape_that_still_covers_the_allocations(reviewer, gpu_pool):
    decisions.application_approve(actor=reviewer, application=submitted_application(make_call(gpu_pool), (gpu_pool, 8)))

    pool_services.capacity_phases_set(
        actor=None,
        offering=gpu_pool,
        phases=[
            (date(2029, 6, 1), 8, False, "first racks"),
            (date(2031, 2, 1), 9, True, ""),
            (date(2032, 1, 1), 50, True, ""),
        ],
    )

    assert [(p.starts_on, p.units) for p in CapacityPhase.objects.filter(offering=gpu_pool)] == [
        (date(2029, 6, 1), 8),
        (date(2031, 2, 1), 9),
        (date(2032, 1, 1), 50),
    ]
    assert capacity.availability(gpu_pool.pk, SERVICE_START, SERVICE_END).free == 0
    assert ledger.ledger_drift() == []


def test_a_phase_added_later_frees_capacity_for_the_top_waitlisted_application_that_fits(reviewer, gpu_pool):
    call = make_call(gpu_pool, waitlist_auto_approve=True, selection_target=100)
    decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 10)))
    now = timezone.now()
    first = submitted_application(call, (gpu_pool, 6), submitted_at=now - timedelta(hours=3))
    second = submitted_application(call, (gpu_pool, 3), submitted_at=now - timedelta(hours=2))
    third = submitted_application(call, (gpu_pool, 2), submitted_at=now - timedelta(hours=1))
    for application in (first, second, third):
        with pytest.raises(capacity.DoesNotFit):
            decisions.application_approve(actor=reviewer, application=application)
        decisions.application_waitlist(actor=reviewer, application=application, reason="pool full")

    pool_services.capacity_phases_set(
        actor=None,
        offering=gpu_pool,
        phases=[(date(2030, 1, 1), 10, False, ""), (date(2031, 1, 1), 14, True, "expansion")],
    )
    approved = tasks.offer_freed_capacity.apply().get()

    for application in (first, second, third):
        application.refresh_from_db()
    # 4 units freed: the first (6) does not fit and keeps its place; the second (3) does; the third (2) no longer.
    assert approved == 1
    assert (first.status, second.status, third.status) == ("waitlisted", "approved", "waitlisted")
    assert second.transitions.get(to_status="approved").actor is None
    allocation = second.items.get().allocation
    assert provisioning.allocation_provision(allocation_id=allocation.pk).state == "active"


def test_the_waitlist_is_left_to_reviewers_when_the_call_says_so(reviewer, gpu_pool):
    call = make_call(gpu_pool, waitlist_auto_approve=False)
    application = submitted_application(call, (gpu_pool, 1))
    decisions.application_waitlist(actor=reviewer, application=application)

    assert tasks.offer_freed_capacity.apply().get() == 0

    application.refresh_from_db()
    assert application.status == "waitlisted"


def test_offering_from_the_waitlist_stops_at_the_calls_selection_target(reviewer, gpu_pool):
    call = make_call(gpu_pool, waitlist_auto_approve=True, selection_target=1)
    decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 1)))
    waiting = submitted_application(call, (gpu_pool, 1))
    decisions.application_waitlist(actor=reviewer, application=waiting)

    assert filling.waitlist_offer_freed_capacity(call=call) == []


def test_an_operator_edits_phases_in_the_admin_and_a_conflict_is_a_message_not_an_error(client, operator, reviewer):
    pool = make_pool(10)
    decisions.application_approve(actor=reviewer, application=submitted_application(make_call(pool), (pool, 8)))
    phase = pool.phases.get()
    client.force_login(operator)
    url = reverse("admin:pool_offering_change", args=[pool.pk])
    form = {
        "name": pool.name,
        "kind": pool.kind,
        "unit": pool.unit,
        "description": "",
        "unit_tflops": "19.5",
        "metering": "reserved",
        "phases-TOTAL_FORMS": "2",
        "phases-INITIAL_FORMS": "1",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
        "phases-0-id": str(phase.pk),
        "phases-0-offering": str(pool.pk),
        "phases-0-starts_on": "2030-01-01",
        "phases-0-units": "10",
        "phases-1-offering": str(pool.pk),
        "phases-1-starts_on": "2031-03-01",
        "phases-1-units": "4",
    }

    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "2031-03-01" in refused.content.decode()
    assert pool.phases.count() == 1

    accepted = client.post(url, {**form, "phases-1-units": "12"})
    assert accepted.status_code == 302
    assert list(pool.phases.values_list("units", flat=True)) == [10, 12]
    assert ledger.ledger_drift() == []


def test_an_operator_revokes_from_the_admin(client, operator, reviewer, gpu_pool):
    (allocation,) = decisions.application_approve(
        actor=reviewer, application=submitted_application(make_call(gpu_pool), (gpu_pool, 3))
    )
    client.force_login(operator)

    client.post(
        reverse("admin:allocations_allocation_changelist"),
        {"action": "revoke", "_selected_action": [allocation.pk]},
    )

    allocation.refresh_from_db()
    assert allocation.state == "revoked"
    assert capacity.availability(gpu_pool.pk, SERVICE_START, SERVICE_END).free == 10
