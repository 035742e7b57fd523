"""The whole reclaim of one idle allocation: found by the daily job and warned once, answered by
its organisation, reduced by a reviewer through the engine; the ledger frees the units at once,
the wait-list's first application that fits gets them, and check_capacity finds nothing wrong."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from allocations.models import Allocation, AllocationTransition, ProvisionedResource
from allocations.services.changes import allocation_quota_sync
from applications.models import Application
from notifications.models import Notification
from pool.capacity import free_units
from reclaim import services
from reclaim.models import ReclaimCase, ReclaimOffer
from tests.reclaim.conftest import TODAY

pytestmark = pytest.mark.django_db


def free_today(offering) -> int:
    return free_units([(offering.pk, TODAY, TODAY)]).tightest(offering.pk, TODAY, TODAY)[0]


def test_an_idle_allocation_is_found_warned_once_answered_reduced_and_its_units_go_to_the_waitlist(
    allocation, waitlist, applicant, reviewer, gpu_pool, published_tasks, django_capture_on_commit_callbacks
):
    # Found: 12.5 % of the grant used over the 30 days up to yesterday, 7 of its 8 GPUs idle.
    [case] = services.reclaim_candidates_mark(today=TODAY)
    assert (case.state, case.trigger) == (ReclaimCase.State.CANDIDATE, ReclaimCase.Trigger.LOW_UTILISATION)
    assert (case.window_starts_on, case.window_ends_on) == (TODAY - timedelta(days=30), TODAY - timedelta(days=1))
    assert case.utilisation_percent == Decimal("12.5")
    assert (case.quantity, case.idle_units) == (8, 7)
    assert case.due_on == TODAY + timedelta(days=14)
    warning = Notification.objects.get(kind=Notification.Kind.RECLAIM, key__startswith="reclaim_warning:")
    assert warning.recipient == applicant.email and warning.link == f"/reclaim/{case.pk}/"
    # Warned once: the job runs again (every hour), nothing new.
    assert services.reclaim_candidates_mark(today=TODAY) == []
    assert services.reclaim_daily(today=TODAY)["opened"] == 0
    assert ReclaimCase.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.RECLAIM).count() == 1

    # Answered by the organisation, before the due date.
    services.reclaim_case_answer(
        actor=applicant, case=case, kind=ReclaimCase.AnswerKind.PLAN, answer="4월부터 4개로 학습합니다."
    )
    case.refresh_from_db()
    assert case.state == ReclaimCase.State.ANSWERED and case.answered_by == applicant

    # Reduced by a reviewer to 3 GPUs: 5 return to the pool at once, today included.
    assert free_today(gpu_pool) == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.reclaim_case_reduce(actor=reviewer, case=case, units=3, reason="4개 계획에 1개 사용: 3개로 감축")
    case.refresh_from_db()
    allocation.refresh_from_db()
    assert (case.state, case.reclaimed_units, allocation.quantity) == (ReclaimCase.State.REDUCED, 5, 3)
    assert allocation.state == Allocation.State.ACTIVE
    assert free_today(gpu_pool) == 7
    assert (
        AllocationTransition.objects.filter(allocation=allocation, actor=reviewer)
        .latest("pk")
        .reason.startswith("8 → 3.")
    )
    assert [(t.actor, t.from_state, t.to_state) for t in case.transitions.all()] == [
        (None, "", "candidate"),
        (applicant, "candidate", "answered"),
        (reviewer, "answered", "reduced"),
    ]
    decision = Notification.objects.get(kind=Notification.Kind.RECLAIM, key__startswith="reclaim_decision:")
    assert "3" in decision.body and "4개 계획에 1개 사용" in decision.body

    # After the commit: the quota is resized and the freed units offered to the wait-list.
    assert ("allocations.sync_allocation_quota", [allocation.pk]) in published_tasks
    assert (services.OFFER_RECLAIMED_CAPACITY, [case.pk]) in published_tasks
    allocation_quota_sync(allocation_id=allocation.pk)
    assert ProvisionedResource.objects.get(allocation=allocation).quantity == 3
    [offer] = services.reclaim_offer(case_id=case.pk)
    first, second = waitlist
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Application.Status.WAITLISTED  # 8 GPUs do not fit in 7: keeps its place
    assert second.status == Application.Status.APPROVED  # the first that fits
    assert (offer.application, offer.units) == (second, 6)
    assert services.reclaim_offer(case_id=case.pk) == []  # once
    assert ReclaimOffer.objects.count() == 1

    call_command("check_capacity")  # raises CommandError (exit 1) on any drift or over-commitment


def test_the_job_leaves_alone_an_allocation_in_use_or_without_fresh_usage(allocation, call):
    from tests.reclaim.conftest import days_before, record_usage

    record_usage(allocation, dict.fromkeys(days_before(TODAY, 30), 24 * 4))  # half the GPUs busy
    assert services.reclaim_candidates_mark(today=TODAY) == []
    # Collection stopped ten days ago: nothing is judged on old figures.
    assert services.reclaim_candidates_mark(today=TODAY + timedelta(days=10)) == []


def test_an_allocation_unused_for_the_idle_days_is_found_even_in_its_grace_period(call, gpu_pool, applicant):
    from tests.aftercare.conftest import grant
    from tests.reclaim.conftest import record_usage

    _application, [allocation] = grant(call, (gpu_pool, 2))
    start = allocation.starts_on
    record_usage(allocation, {start + timedelta(days=n): 0 for n in range(22)})
    [case] = services.reclaim_candidates_mark(today=start + timedelta(days=22))
    assert case.trigger == ReclaimCase.Trigger.UNUSED
    assert (case.last_used_on, case.idle_units, case.utilisation_percent) == (None, 2, Decimal("0.0"))
