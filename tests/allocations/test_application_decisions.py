import pytest

from allocations import ledger
from allocations.models import Allocation
from allocations.services import decisions
from applications.models import Application
from pool import capacity
from portal.errors import DomainError
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application

pytestmark = pytest.mark.django_db


def free(offering) -> int:
    return capacity.availability(offering.pk, SERVICE_START, SERVICE_END).free


def test_a_full_approval_creates_pending_allocations_that_hold_capacity(reviewer, gpu_pool, storage_pool):
    application = submitted_application(make_call(gpu_pool, storage_pool), (gpu_pool, 4), (storage_pool, 30))

    allocations = decisions.application_approve(actor=reviewer, application=application)

    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    assert sorted((a.offering.name, a.quantity, a.state) for a in allocations) == [
        ("A100 GPU", 4, "pending"),
        ("Storage", 30, "pending"),
    ]
    assert (free(gpu_pool), free(storage_pool)) == (6, 70)
    transition = application.transitions.get(to_status="approved")
    assert (transition.actor, transition.from_status) == (reviewer, "submitted")
    assert ledger.ledger_drift() == []


def test_a_partial_approval_grants_less_and_needs_a_reason(reviewer, gpu_pool, storage_pool):
    application = submitted_application(make_call(gpu_pool, storage_pool), (gpu_pool, 4), (storage_pool, 30))
    gpu_item, storage_item = application.items.order_by("pk")

    with pytest.raises(DomainError):
        decisions.application_approve(actor=reviewer, application=application, grants={gpu_item.pk: 2})
    allocations = decisions.application_approve(
        actor=reviewer, application=application, grants={gpu_item.pk: 2, storage_item.pk: 0}, reason="GPU is scarce"
    )

    assert [(a.offering_id, a.quantity) for a in allocations] == [(gpu_pool.pk, 2)]
    assert not Allocation.objects.filter(application_item=storage_item).exists()
    assert application.transitions.get(to_status="approved").reason == "GPU is scarce"
    assert free(gpu_pool) == 8


@pytest.mark.parametrize("grant", [-1, 5])
def test_a_grant_outside_zero_and_the_requested_quantity_is_refused(reviewer, gpu_pool, grant):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 4))

    with pytest.raises(DomainError):
        decisions.application_approve(
            actor=reviewer, application=application, grants={application.items.get().pk: grant}, reason="r"
        )

    assert not Allocation.objects.exists()


def test_an_approval_that_does_not_fit_changes_nothing_and_says_what_is_short(reviewer, gpu_pool, storage_pool):
    call = make_call(gpu_pool, storage_pool)
    decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 8)))
    application = submitted_application(call, (storage_pool, 10), (gpu_pool, 3))

    with pytest.raises(capacity.DoesNotFit) as refused:
        decisions.application_approve(actor=reviewer, application=application)

    assert [(s.offering.pk, s.wanted, s.free) for s in refused.value.shortfalls] == [(gpu_pool.pk, 3, 2)]
    assert "2031년 1월 1일(수)" in str(refused.value)
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    assert (free(gpu_pool), free(storage_pool)) == (2, 100)


def test_capacity_is_counted_per_day_so_consecutive_periods_share_a_unit(reviewer, gpu_pool):
    call = make_call(gpu_pool)
    january = ("2031-01-01", "2031-01-31")
    february = ("2031-02-01", "2031-02-28")
    from datetime import date

    first = submitted_application(call, (gpu_pool, 10, date.fromisoformat(january[0]), date.fromisoformat(january[1])))
    second = submitted_application(
        call, (gpu_pool, 10, date.fromisoformat(february[0]), date.fromisoformat(february[1]))
    )
    overlapping = submitted_application(call, (gpu_pool, 1, date(2031, 1, 31), date(2031, 2, 1)))

    decisions.application_approve(actor=reviewer, application=first)
    decisions.application_approve(actor=reviewer, application=second)
    with pytest.raises(capacity.DoesNotFit):
        decisions.application_approve(actor=reviewer, application=overlapping)


def test_only_submitted_or_waitlisted_applications_are_decided(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    decisions.application_approve(actor=reviewer, application=application)

    for decide in (
        lambda: decisions.application_approve(actor=reviewer, application=application),
        lambda: decisions.application_waitlist(actor=reviewer, application=application),
        lambda: decisions.application_reject(actor=reviewer, application=application, reason="late"),
    ):
        with pytest.raises(DomainError):
            decide()


def test_waitlisting_and_rejecting_record_who_and_why(reviewer, gpu_pool):
    call = make_call(gpu_pool)
    waitlisted = decisions.application_waitlist(
        actor=reviewer, application=submitted_application(call, (gpu_pool, 1)), reason="pool full"
    )
    rejected = decisions.application_reject(
        actor=reviewer, application=submitted_application(call, (gpu_pool, 1)), reason="out of scope"
    )

    assert waitlisted.status == "waitlisted" and rejected.status == "rejected"
    assert waitlisted.transitions.get(to_status="waitlisted").reason == "pool full"
    assert rejected.transitions.get(to_status="rejected").actor == reviewer


def test_a_rejection_needs_a_reason(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))

    with pytest.raises(DomainError):
        decisions.application_reject(actor=reviewer, application=application, reason="  ")


def test_a_waitlisted_application_can_still_be_approved(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    decisions.application_waitlist(actor=reviewer, application=application)

    decisions.application_approve(actor=reviewer, application=application)

    application.refresh_from_db()
    assert application.status == "approved"
