"""Approving an extension or a supplement goes through the allocation engine: the ledger moves in
the same statement, and what does not fit is refused with a clear message, nothing changed."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import translation

from aftercare import services
from aftercare.models import ChangeRequest
from allocations import ledger
from allocations.models import Allocation, ExpiryReminder, ProvisionedResource
from allocations.services import changes, release
from allocations.tasks import sync_allocation_quota
from applications.models import ConflictOfInterest, Membership
from notifications.models import Notification
from pool import capacity
from pool.capacity import DoesNotFit
from pool.models import CapacityLedger
from portal.errors import DomainError, NotAllowed
from tests.aftercare.conftest import GRANTED, grant
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call
from tests.conftest import make_user
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

APRIL_END = date(2031, 4, 30)


def reserved(offering, start: date, end: date) -> dict[date, int]:
    return dict(
        CapacityLedger.objects.filter(offering=offering, day__range=(start, end)).values_list("day", "reserved")
    )


def extension(applicant, allocation, ends_on=APRIL_END) -> ChangeRequest:
    return services.change_request_submit(
        actor=applicant, allocation=allocation, kind="extension", ends_on=ends_on, justification="학습이 길어졌습니다."
    )


def supplement(applicant, allocation, units=3) -> ChangeRequest:
    return services.change_request_submit(
        actor=applicant, allocation=allocation, kind="supplement", units=units, justification="모델이 커졌습니다."
    )


def fill_april(gpu_pool, units: int) -> None:
    """Another organisation holds ``units`` GPUs through April."""
    grant(make_call(gpu_pool), (gpu_pool, units, date(2031, 4, 1), APRIL_END))


def test_an_extension_that_fits_is_approved_and_the_ledger_moves(applicant, allocation, gpu_pool, reviewer):
    request = extension(applicant, allocation)
    assert reserved(gpu_pool, date(2031, 4, 1), APRIL_END) == {}  # no load on April yet

    services.change_request_approve(actor=reviewer, change_request=request)

    allocation.refresh_from_db()
    request.refresh_from_db()
    assert allocation.ends_on == APRIL_END and allocation.quantity == GRANTED
    assert request.status == "approved" and request.granted_ends_on == APRIL_END and request.decided_at
    april = reserved(gpu_pool, date(2031, 4, 1), APRIL_END)
    assert len(april) == 30 and set(april.values()) == {GRANTED}
    assert set(reserved(gpu_pool, SERVICE_START, SERVICE_END).values()) == {GRANTED}
    assert ledger.ledger_drift() == []
    assert capacity.availability(gpu_pool.pk, date(2031, 4, 1), APRIL_END).free == 10 - GRANTED
    assert list(request.transitions.values_list("from_status", "to_status", "actor")) == [
        ("", "submitted", applicant.pk),
        ("submitted", "approved", reviewer.pk),
    ]
    change = allocation.transitions.order_by("pk").last()
    assert (change.from_state, change.to_state, change.actor) == ("active", "active", reviewer)
    assert "2031-04-30" in change.reason
    call_command("check_capacity")  # exits 0: the ledger equals the allocations


def test_a_supplement_that_fits_raises_the_quantity_over_the_period_and_resizes_the_quota(
    applicant, allocation, gpu_pool, reviewer, django_capture_on_commit_callbacks, published_tasks
):
    request = supplement(applicant, allocation, units=3)

    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_approve(actor=reviewer, change_request=request)
    synced = [tuple(args) for task, args in published_tasks if task == sync_allocation_quota.name]
    for args in synced:  # as a worker would, twice: the resize is idempotent
        sync_allocation_quota.apply(args=args)
        sync_allocation_quota.apply(args=args)

    allocation.refresh_from_db()
    assert allocation.quantity == GRANTED + 3 and allocation.ends_on == SERVICE_END
    assert set(reserved(gpu_pool, SERVICE_START, SERVICE_END).values()) == {GRANTED + 3}
    assert ledger.ledger_drift() == []
    assert synced == [(allocation.pk,)]
    assert ProvisionedResource.objects.get(allocation=allocation).quantity == GRANTED + 3


def test_an_extension_that_does_not_fit_is_refused_with_a_clear_message_and_the_allocation_unchanged(
    applicant, allocation, gpu_pool, reviewer
):
    fill_april(gpu_pool, 8)  # 2 GPUs left in April; the extension needs 4
    request = extension(applicant, allocation)
    ledger_before = reserved(gpu_pool, SERVICE_START, APRIL_END)

    with pytest.raises(DoesNotFit) as refused:
        services.change_request_approve(actor=reviewer, change_request=request)

    # In the reviewer's language (Korean by default): "A100 GPU: 4 GPU wanted, only 2 free on 1 April 2031."
    assert str(refused.value) == "A100 GPU: 2031년 4월 1일(화)의 여유 용량(2 GPU)이 필요한 양(4 GPU)보다 적습니다."
    assert [(s.wanted, s.free, s.day) for s in refused.value.shortfalls] == [(4, 2, date(2031, 4, 1))]
    allocation.refresh_from_db()
    request.refresh_from_db()
    assert (allocation.ends_on, allocation.quantity, allocation.state) == (SERVICE_END, GRANTED, "active")
    assert request.status == "submitted" and request.granted_ends_on is None
    assert reserved(gpu_pool, SERVICE_START, APRIL_END) == ledger_before
    assert ledger.ledger_drift() == []
    assert not Notification.objects.filter(kind=Notification.Kind.CHANGE_REQUEST_DECISION).exists()


def test_a_supplement_that_does_not_fit_names_the_tightest_day(applicant, call, allocation, gpu_pool, reviewer):
    grant(call, (gpu_pool, 5, date(2031, 2, 10), date(2031, 2, 20)))  # 1 GPU left from 10 to 20 February
    request = supplement(applicant, allocation, units=2)

    with pytest.raises(DoesNotFit) as refused:
        services.change_request_approve(actor=reviewer, change_request=request)

    assert [(s.wanted, s.free, s.day) for s in refused.value.shortfalls] == [(2, 1, date(2031, 2, 10))]
    assert "2031년 2월 10일(월)" in str(refused.value)
    allocation.refresh_from_db()
    assert allocation.quantity == GRANTED


def test_a_partial_grant_needs_a_reason_and_grants_what_was_entered(applicant, allocation, gpu_pool, reviewer):
    fill_april(gpu_pool, 6)  # exactly 4 left in April
    request = extension(applicant, allocation, ends_on=date(2031, 5, 31))

    with translation.override("en"), pytest.raises(services.AftercareError, match="needs a reason"):
        services.change_request_approve(actor=reviewer, change_request=request, ends_on=APRIL_END)
    services.change_request_approve(actor=reviewer, change_request=request, ends_on=APRIL_END, reason="5월은 예약됨")

    allocation.refresh_from_db()
    request.refresh_from_db()
    assert allocation.ends_on == APRIL_END
    assert (request.requested_ends_on, request.granted_ends_on) == (date(2031, 5, 31), APRIL_END)
    assert request.transitions.last().reason == "5월은 예약됨"
    assert capacity.availability(gpu_pool.pk, date(2031, 4, 1), APRIL_END).free == 0


def test_a_grant_beyond_the_request_is_refused(applicant, allocation, reviewer):
    request = supplement(applicant, allocation, units=2)

    with pytest.raises(services.AftercareError):
        services.change_request_approve(actor=reviewer, change_request=request, units=3)


def test_the_decision_is_emailed_to_the_members_in_their_language(applicant, colleague, allocation, reviewer):
    request = extension(applicant, allocation)
    deliver_queued()

    services.change_request_approve(actor=reviewer, change_request=request)
    messages = {message.to[0]: message for message in deliver_queued()}

    assert set(messages) == {applicant.email, colleague.email}
    assert "기간 연장이 승인되었습니다. 변경된 종료일: 2031년 4월 30일(수)" in messages[applicant.email].body
    assert "Approved: the allocation now ends on 30 April 2031." in messages[colleague.email].body
    assert messages[applicant.email].subject != messages[colleague.email].subject  # Korean and English


def test_a_rejection_needs_a_reason_and_tells_it(applicant, allocation, reviewer):
    request = extension(applicant, allocation)

    with pytest.raises(services.AftercareError):
        services.change_request_reject(actor=reviewer, change_request=request, reason=" ")
    services.change_request_reject(actor=reviewer, change_request=request, reason="용량 부족")

    request.refresh_from_db()
    allocation.refresh_from_db()
    assert request.status == "rejected" and allocation.ends_on == SERVICE_END
    decision = Notification.objects.get(kind=Notification.Kind.CHANGE_REQUEST_DECISION, recipient=applicant.email)
    assert "용량 부족" in decision.body


def test_a_request_is_decided_once(applicant, allocation, reviewer):
    request = extension(applicant, allocation)
    services.change_request_approve(actor=reviewer, change_request=request)

    with pytest.raises(services.AftercareError):
        services.change_request_approve(actor=reviewer, change_request=request)
    with pytest.raises(services.AftercareError):
        services.change_request_reject(actor=reviewer, change_request=request, reason="again")
    allocation.refresh_from_db()
    assert allocation.ends_on == APRIL_END


def test_only_reviewers_without_a_conflict_and_outside_the_organisation_decide(
    applicant, allocation, reviewer, operator
):
    request = extension(applicant, allocation)
    with pytest.raises(NotAllowed):
        services.change_request_approve(actor=operator, change_request=request)
    member_reviewer = make_user("member-reviewer@operator.kr", is_staff=True, group="Reviewers")
    Membership.objects.create(organization=allocation.organization, user=member_reviewer)
    with pytest.raises(NotAllowed):
        services.change_request_approve(actor=member_reviewer, change_request=request)
    ConflictOfInterest.objects.create(reviewer=reviewer, organization=allocation.organization)
    with pytest.raises(NotAllowed):
        services.change_request_reject(actor=reviewer, change_request=request, reason="no")

    request.refresh_from_db()
    assert request.status == "submitted"


def test_an_allocation_revoked_meanwhile_is_not_extended(applicant, allocation, reviewer, operator):
    request = extension(applicant, allocation)
    release.allocation_release(actor=operator, allocation=allocation, to_state="revoked", reason="misuse")

    with translation.override("en"), pytest.raises(DomainError, match="holds capacity"):
        services.change_request_approve(actor=reviewer, change_request=request)

    allocation.refresh_from_db()
    assert allocation.ends_on == SERVICE_END
    assert ledger.ledger_drift() == []


def test_expiry_reminders_start_again_for_the_new_end(applicant, allocation, reviewer):
    from allocations.emails import send_due_expiry_reminders

    with time_machine.travel(SERVICE_END - timedelta(days=7), tick=False):
        assert send_due_expiry_reminders() == 1
        request = extension(applicant, allocation)
        services.change_request_approve(actor=reviewer, change_request=request)
    assert not ExpiryReminder.objects.filter(allocation=allocation).exists()

    with time_machine.travel(APRIL_END - timedelta(days=7), tick=False):
        assert send_due_expiry_reminders() == 1  # the 7-day reminder of the new end


def test_the_engine_refuses_to_shorten_or_reduce(allocation):
    with pytest.raises(DomainError):
        changes.allocation_change(actor=None, allocation=allocation, ends_on=SERVICE_END - timedelta(days=1))
    with pytest.raises(DomainError):
        changes.allocation_change(actor=None, allocation=allocation, quantity=GRANTED - 1)
    assert Allocation.objects.get(pk=allocation.pk).quantity == GRANTED
