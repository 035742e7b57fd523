"""The batch approval (``applications_approve``): what filling a call by priority and offering
freed capacity to a wait-list run. Each application gets what ``application_approve`` would give
it; the batch is one transaction in which the ledger moves once per offering and day."""

from datetime import date

import pytest
from django.db import connection

from allocations import ledger
from allocations.models import Allocation, AllocationTransition
from allocations.services import decisions
from applications.models import Application, ConflictOfInterest, Membership
from notifications.models import Notification
from outbox.models import OutboxMessage
from pool import capacity
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def free(offering) -> int:
    return capacity.availability(offering.pk, SERVICE_START, SERVICE_END).free


def statuses(applications) -> list[str]:
    return [Application.objects.get(pk=application.pk).status for application in applications]


def test_it_approves_in_the_order_given_what_fits_and_refuses_the_rest_keeping_their_place(reviewer, gpu_pool):
    call = make_call(gpu_pool)
    six, five, three, one = (submitted_application(call, (gpu_pool, n)) for n in (6, 5, 3, 1))

    result = decisions.applications_approve(actor=reviewer, applications=[six, five, three, one], reason="ranked")

    assert result.approved == [six, three, one]
    assert [(application, type(error)) for application, error in result.refused] == [(five, capacity.DoesNotFit)]
    # Decided in order: after the six, four were free for the five.
    assert [(s.wanted, s.free, s.day) for s in result.refused[0][1].shortfalls] == [(5, 4, SERVICE_START)]
    assert statuses([six, five, three, one]) == ["approved", "submitted", "approved", "approved"]
    assert sorted(allocation.quantity for allocation in result.allocations) == [1, 3, 6]
    assert {allocation.state for allocation in result.allocations} == {Allocation.State.PENDING}
    assert free(gpu_pool) == 0
    assert ledger.ledger_drift() == []


def test_each_approval_has_the_history_and_the_nudges_of_a_single_approval(
    reviewer, gpu_pool, storage_pool, django_capture_on_commit_callbacks
):
    call = make_call(gpu_pool, storage_pool)
    applications = [submitted_application(call, (gpu_pool, 1), (storage_pool, 10)) for _ in range(3)]
    for application in applications:
        MembershipFactory(organization=application.organization)

    with django_capture_on_commit_callbacks() as callbacks:
        result = decisions.applications_approve(actor=reviewer, applications=applications, reason="filled")

    assert len(result.allocations) == 6
    for application in applications:
        transition = application.transitions.get(to_status="approved")
        assert (transition.actor, transition.from_status, transition.reason) == (reviewer, "submitted", "filled")
    history = AllocationTransition.objects.order_by().values_list("from_state", "to_state", "actor", "reason")
    assert list(history.distinct()) == [("", "pending", reviewer.pk, "filled")]
    # One provisioning nudge for the batch's allocations (provisioned together), a decision
    # e-mail per application: recorded in the decision's transaction, delivered after it.
    assert sorted(OutboxMessage.objects.values_list("task", flat=True)) == [
        "allocations.provision_allocations",
        *["notifications.deliver"] * 3,
    ]
    assert len([callback for callback in callbacks if "enqueue_on_commit" in callback.__qualname__]) == 1 + 3
    assert Notification.objects.filter(kind=Notification.Kind.DECISION).count() == 3
    assert (free(gpu_pool), free(storage_pool)) == (7, 70)


def test_it_stops_at_the_limit_and_leaves_the_rest_undecided(reviewer, gpu_pool):
    call = make_call(gpu_pool)
    applications = [submitted_application(call, (gpu_pool, 1)) for _ in range(4)]

    result = decisions.applications_approve(actor=reviewer, applications=applications, limit=2)

    assert result.approved == applications[:2]
    assert result.refused == []
    assert statuses(applications) == ["approved", "approved", "submitted", "submitted"]


def test_an_application_that_cannot_be_decided_is_refused_and_the_others_go_on(reviewer, gpu_pool):
    call = make_call(gpu_pool)
    decided, member_of, conflicted, fine = (submitted_application(call, (gpu_pool, 1)) for _ in range(4))
    decisions.application_reject(actor=reviewer, application=decided, reason="out of scope")
    MembershipFactory(organization=member_of.organization, user=reviewer, role=Membership.Role.MEMBER)
    ConflictOfInterest.objects.create(reviewer=reviewer, organization=conflicted.organization, note="former employer")

    result = decisions.applications_approve(actor=reviewer, applications=[decided, member_of, conflicted, fine])

    assert result.approved == [fine]
    assert [(application, type(error).__name__) for application, error in result.refused] == [
        (decided, "ApplicationError"),
        (member_of, "NotAllowed"),
        (conflicted, "NotAllowed"),
    ]
    assert statuses([decided, member_of, conflicted, fine]) == ["rejected", "submitted", "submitted", "approved"]
    assert free(gpu_pool) == 9


def test_a_wait_listed_application_is_approved_like_a_submitted_one(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 2))
    decisions.application_waitlist(actor=reviewer, application=application)

    result = decisions.applications_approve(actor=None, applications=[application])

    assert result.approved == [application]
    assert application.transitions.get(to_status="approved").from_status == "waitlisted"


def test_the_queries_do_not_grow_with_the_batch(reviewer, gpu_pool, django_assert_max_num_queries):
    call = make_call(gpu_pool, selection_target=1000)
    gpu_pool.phases.update(units=1000)
    for size in (10, 100):
        applications = [submitted_application(call, (gpu_pool, 1)) for _ in range(size)]
        # Ledger rows made and permissions read at the first; the members of all the approved
        # organisations (their decision e-mails) read at once; one outbox row per batch; the
        # calls' rankings locked once before the applications (lock_rankings).
        with django_assert_max_num_queries(20):
            result = decisions.applications_approve(actor=reviewer, applications=applications)
        assert len(result.approved) == size


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="statement-level triggers are PostgreSQL's")
def test_a_batch_moves_each_ledger_day_once_however_many_grants_it_holds(gpu_pool):
    call = make_call(gpu_pool)
    applications = [submitted_application(call, (gpu_pool, 1)) for _ in range(8)]
    decisions.application_approve(actor=None, application=submitted_application(call, (gpu_pool, 1)))  # rows exist

    before = ledger_row_updates()
    decisions.applications_approve(actor=None, applications=applications)

    assert ledger_row_updates() - before == 90  # the service period's days, once each; not 8 x 90
    assert free(gpu_pool) == 1
    assert ledger.ledger_drift() == []


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="statement-level triggers are PostgreSQL's")
def test_a_batch_moves_each_ledger_day_once_whatever_the_periods_of_its_grants(gpu_pool, storage_pool):
    gpu_pool.phases.update(units=100)
    call = make_call(gpu_pool, storage_pool)
    # Applicants may ask for any part of the service period (2031-01-01 – 03-31): 13 periods
    # over the GPU's 90 days, 3 over 59 days of storage, some shared, some one day long.
    gpu_periods = [
        (SERVICE_START, SERVICE_END),
        (date(2031, 1, 1), date(2031, 1, 31)),
        (date(2031, 1, 1), date(2031, 1, 31)),
        (date(2031, 2, 1), date(2031, 3, 31)),
        (date(2031, 1, 15), date(2031, 2, 14)),
        (date(2031, 3, 1), date(2031, 3, 31)),
        (date(2031, 1, 10), date(2031, 3, 20)),
        (date(2031, 2, 20), date(2031, 2, 28)),
        (date(2031, 1, 1), date(2031, 1, 1)),
        (date(2031, 3, 31), date(2031, 3, 31)),
        (date(2031, 2, 2), date(2031, 3, 3)),
        (date(2031, 1, 5), date(2031, 1, 25)),
        (date(2031, 3, 10), date(2031, 3, 30)),
    ]
    storage_periods = [(date(2031, 2, 1), date(2031, 3, 31)), (date(2031, 2, 10), date(2031, 2, 20))] * 2
    applications = [submitted_application(call, (gpu_pool, 2, *period)) for period in gpu_periods]
    applications += [
        submitted_application(call, (storage_pool, 5, *period), (gpu_pool, 1, *period)) for period in storage_periods
    ]
    decisions.application_approve(actor=None, application=submitted_application(call, (gpu_pool, 1)))  # GPU rows exist

    before = ledger_row_updates()
    result = decisions.applications_approve(actor=None, applications=applications)

    assert result.refused == []
    # Each day once: the GPU's 90, storage's 59 (made by the batch); not once per period holding it.
    assert ledger_row_updates() - before == 90 + 59
    assert ledger.ledger_drift() == []


def ledger_row_updates() -> int:
    """Ledger rows updated so far by this transaction (the test's), as PostgreSQL counts them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'allocations_capacityledger'")
        return cursor.fetchone()[0]
