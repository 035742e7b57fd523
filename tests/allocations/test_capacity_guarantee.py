"""The capacity guarantee under concurrency: however many approvals, provisions and releases run
at once, and whatever statement reaches the database, no day is ever over-committed and the
ledger stays equal to the allocations.

The races run real threads, each with its own database connection, released together by a
barrier. They are meant for PostgreSQL; on SQLite (which serialises writers) they run fewer
rounds with the same assertions.
"""

import random
import threading
import time
from collections import Counter
from datetime import date, timedelta
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from allocations import ledger
from allocations.models import HOLDING_STATES, Allocation, ProvisionedResource
from allocations.services.decisions import application_approve, application_waitlist, applications_approve
from allocations.services.provisioning import allocation_provision
from allocations.services.release import allocation_release
from applications.models import Application
from pool import capacity
from pool.capacity import DoesNotFit
from pool.models import CapacityLedger, CapacityPhase, Offering
from pool.services import PhaseConflictError, capacity_phases_set
from portal.errors import DomainError
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, make_pool, submitted_application

pytestmark = pytest.mark.django_db(transaction=True)

# Longer than any lock wait a correct engine needs; a deadlock that the database does not break
# (or a lock wait that never ends) shows up as threads still running after it.
THREAD_TIMEOUT = 60


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def run_together(jobs, *, timeout: float = THREAD_TIMEOUT) -> list:
    """Run each job in a thread of its own, all released at once, and return what each returned
    or raised. Every thread closes its database connection; all must finish within ``timeout``."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(index, job):
        try:
            # Connected before the barrier, so that the jobs, not the connections, start together.
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            outcomes[index] = job()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, job), daemon=True) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    still_running = sum(thread.is_alive() for thread in threads)
    assert still_running == 0, f"{still_running} of {len(threads)} threads still running after {timeout} s"
    return outcomes


def assert_none_raised(outcomes: list, context: str = "") -> None:
    raised = [f"{type(outcome).__name__}: {outcome}" for outcome in outcomes if isinstance(outcome, Exception)]
    assert not raised, f"{context}{len(raised)} of {len(outcomes)} threads raised:\n" + "\n".join(raised)


def open_calls(*offerings, count: int) -> list:
    """Several calls offering the same pools. A decision locks its application's call row, so
    applications of one call are decided one after the other; spread over several calls they
    meet where the guarantee must hold, at the pool's ledger."""
    return [make_call(*offerings) for _ in range(count)]


def approve_or_waitlist(application: Application, *, provision: bool = False) -> str:
    """What a reviewer does: approve in full; if the pool cannot take it, wait-list it."""
    try:
        allocations = application_approve(actor=None, application=application)
    except DoesNotFit:
        application_waitlist(actor=None, application=application, reason="The pool is full.")
        return "waitlisted"
    if provision:
        for allocation in allocations:
            allocation_provision(allocation_id=allocation.pk)
    return "approved"


def held_per_day(offering: Offering) -> dict[date, int]:
    """What the allocations holding capacity add up to, day by day, recomputed from scratch."""
    held: Counter = Counter()
    for start, end, quantity in Allocation.objects.filter(offering=offering, state__in=HOLDING_STATES).values_list(
        "starts_on", "ends_on", "quantity"
    ):
        for day in capacity.days(start, end):
            held[day] += quantity
    return dict(held)


def reserved_per_day(offering: Offering) -> dict[date, int]:
    return dict(CapacityLedger.objects.filter(offering=offering, reserved__gt=0).values_list("day", "reserved"))


def period(start_offset: int, length: int) -> tuple[date, date]:
    start = SERVICE_START + timedelta(days=start_offset)
    return start, min(start + timedelta(days=length - 1), SERVICE_END)


# --- Concurrent approvals -----------------------------------------------------------------------


@pytest.mark.many_connections(64)  # a thread and a connection per job
def test_sixty_four_concurrent_one_unit_approvals_fill_a_pool_of_ten_exactly_every_time():
    # SQLite lets one writer in at a time: two rounds show the same outcome without the 20 rounds'
    # cost. On PostgreSQL the rounds give the interleavings many chances to differ.
    rounds = 20 if on_postgresql() else 2
    applicants = 64
    january = period(0, 31)  # a month keeps twenty rounds quick; the race is the same for any period
    for round_number in range(rounds):
        pool = make_pool(10, name=f"A100 GPU round {round_number}")
        calls = open_calls(pool, count=8)
        applications = [submitted_application(calls[n % len(calls)], (pool, 1, *january)) for n in range(applicants)]

        outcomes = run_together(
            [partial(approve_or_waitlist, application, provision=True) for application in applications]
        )

        context = f"round {round_number}: "
        assert_none_raised(outcomes, context)
        assert outcomes.count("approved") == 10, context
        states = list(Allocation.objects.filter(offering=pool).values_list("state", flat=True))
        assert states == [Allocation.State.ACTIVE] * 10, context
        assert ProvisionedResource.objects.filter(allocation__offering=pool).count() == 10, context
        waitlisted = Application.objects.filter(call__in=calls, status=Application.Status.WAITLISTED)
        assert waitlisted.count() == applicants - 10, context
        assert not Allocation.objects.filter(application_item__application__in=waitlisted).exists(), context
        assert ledger.ledger_drift() == [], context


@pytest.mark.many_connections(40)  # a thread and a connection per job
def test_random_sizes_requested_at_once_never_grant_more_than_the_pool_on_any_day():
    rng = random.Random(20310101)
    pool = make_pool(37, name="H100 GPU")
    calls = open_calls(pool, count=5)
    applications = [
        submitted_application(
            calls[n % len(calls)], (pool, rng.randint(1, 4), *period(rng.randrange(0, 60), rng.randrange(1, 91)))
        )
        for n in range(40)
    ]

    outcomes = run_together([partial(approve_or_waitlist, application) for application in applications])

    assert_none_raised(outcomes)
    held = held_per_day(pool)
    assert 0 < max(held.values()) <= 37
    assert reserved_per_day(pool) == held
    assert ledger.ledger_drift() == []
    assert outcomes.count("approved") == Allocation.objects.filter(offering=pool).count()
    # Nothing was released, so free capacity only shrank: what was refused then does not fit now.
    for application, outcome in zip(applications, outcomes, strict=True):
        if outcome == "waitlisted":
            (item,) = application.items.all()
            assert capacity.availability(pool.pk, item.starts_on, item.ends_on).free < item.quantity


@pytest.mark.many_connections(32)  # a thread and a connection per job
def test_provisions_and_releases_interleaved_leave_the_ledger_equal_to_the_allocations():
    pool = make_pool(30, name="A100 GPU busy")
    calls = open_calls(pool, count=4)
    # Earlier grants, the late periods first, so that the ledger's rows are not stored in day order.
    earlier = []
    for n in range(12):
        application = submitted_application(calls[n % len(calls)], (pool, 2, *period(60 - 5 * n, 25 + n)))
        (allocation,) = application_approve(actor=None, application=application)
        earlier.append(allocation)
    for allocation in earlier[:8]:
        allocation_provision(allocation_id=allocation.pk)
    newcomers = [
        submitted_application(calls[n % len(calls)], (pool, 3, *period((7 * n) % 80, 10 + (11 * n) % 70)))
        for n in range(16)
    ]
    revoked = earlier[::2]  # four active ones and two of the four still pending

    def revoke(allocation):
        return allocation_release(actor=None, allocation=allocation, to_state="revoked", reason="Withdrawn.")

    jobs = [partial(revoke, allocation) for allocation in revoked]
    jobs += [partial(allocation_provision, allocation_id=allocation.pk) for allocation in earlier[8:]]
    jobs += [partial(approve_or_waitlist, application, provision=True) for application in newcomers]
    random.Random(7).shuffle(jobs)

    outcomes = run_together(jobs)

    assert_none_raised(outcomes)
    states = dict(Allocation.objects.filter(pk__in=[a.pk for a in earlier]).values_list("pk", "state"))
    assert {states[allocation.pk] for allocation in revoked} == {Allocation.State.REVOKED}
    assert {states[allocation.pk] for allocation in earlier[1::2]} == {Allocation.State.ACTIVE}
    assert reserved_per_day(pool) == held_per_day(pool)
    assert ledger.ledger_drift() == []


@pytest.mark.many_connections(32)  # a thread and a connection per job
def test_grants_spanning_gpu_and_storage_in_either_order_never_deadlock():
    gpu = make_pool(20, name="A100 GPU shared")
    storage = make_pool(100, name="Storage shared", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
    calls = open_calls(gpu, storage, count=8)
    applications = []
    for n in range(32):
        gpu_item = (gpu, 1, *period((n % 8) * 7, 40 + (n % 5) * 9))
        storage_item = (storage, 5, *period((n % 6) * 10, 30 + (n % 4) * 12))
        # Half ask GPU then storage, half storage then GPU: items are granted in the order made.
        items = (gpu_item, storage_item) if n % 2 == 0 else (storage_item, gpu_item)
        applications.append(submitted_application(calls[n % len(calls)], *items))

    outcomes = run_together([partial(approve_or_waitlist, application, provision=True) for application in applications])

    assert_none_raised(outcomes, "no deadlock, no lock timeout, nothing else: ")
    for application, outcome in zip(applications, outcomes, strict=True):
        kinds_and_states = Allocation.objects.filter(application_item__application=application).values_list(
            "offering__kind", "state"
        )
        if outcome == "approved":
            assert sorted(kinds_and_states) == [("gpu", "active"), ("storage", "active")]
        else:
            assert list(kinds_and_states) == []
    assert "approved" in outcomes and "waitlisted" in outcomes
    assert ledger.ledger_drift() == []


@pytest.mark.many_connections(32)  # a thread and a connection per job
def test_batch_approvals_racing_each_other_and_single_approvals_never_over_commit_nor_deadlock():
    rng = random.Random(20310415)
    gpu = make_pool(37, name="H100 GPU batches")
    storage = make_pool(300, name="Storage batches", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
    calls = open_calls(gpu, storage, count=6)

    def request(n):
        gpu_item = (gpu, rng.randint(1, 4), *period(rng.randrange(0, 60), rng.randrange(1, 91)))
        storage_item = (storage, rng.randint(5, 40), *period(rng.randrange(0, 60), rng.randrange(1, 91)))
        items = [gpu_item, storage_item][: rng.randint(1, 2)]
        return submitted_application(calls[n % len(calls)], *(items if n % 2 else reversed(items)))

    applications = [request(n) for n in range(60)]
    batches = [applications[n : n + 6] for n in range(0, 36, 6)]
    # Two batches share applications with others, in another order: each is approved at most once.
    batches += [list(reversed(applications[3:15])), applications[30:42]]
    singles = applications[36:]

    def batch(members):
        return applications_approve(actor=None, applications=members, reason="filled").approved

    def single(application):
        try:
            return approve_or_waitlist(application)
        except DomainError:  # a batch decided it first
            application.refresh_from_db()
            return f"decided by a batch: {application.status}"

    jobs = [partial(batch, members) for members in batches] + [partial(single, a) for a in singles]
    rng.shuffle(jobs)
    outcomes = run_together(jobs)

    assert_none_raised(outcomes, "no deadlock, no lock timeout, nothing else: ")
    assert {o for o in outcomes if isinstance(o, str)} <= {"approved", "waitlisted", "decided by a batch: approved"}
    approved = Application.objects.filter(pk__in=[a.pk for a in applications], status=Application.Status.APPROVED)
    items = sum(application.items.count() for application in approved)
    assert Allocation.objects.filter(application_item__application__in=approved).count() == items
    assert Allocation.objects.count() == items  # nothing for an application not approved, nothing twice
    for pool, size in ((gpu, 37), (storage, 300)):
        held = held_per_day(pool)
        assert 0 < max(held.values()) <= size
        assert reserved_per_day(pool) == held
    assert ledger.ledger_drift() == []


# --- Statements from outside the engine ---------------------------------------------------------


@pytest.fixture
def eight_of_ten_held():
    """A pool of 10 of which a pending allocation holds 8 in February 2031."""
    pool = make_pool(10, name="A100 GPU guarded")
    application = submitted_application(make_call(pool), (pool, 8, date(2031, 2, 1), date(2031, 2, 28)))
    (allocation,) = application_approve(actor=None, application=application)
    return allocation


def assert_unchanged(allocation: Allocation) -> None:
    allocation.refresh_from_db()
    assert allocation.quantity == 8
    assert set(reserved_per_day(allocation.offering).values()) == {8}
    assert ledger.ledger_drift() == []


def test_a_raw_update_raising_an_allocations_quantity_over_capacity_is_refused(eight_of_ten_held):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE allocations_allocation SET quantity = %s WHERE id = %s", [1_000_000, eight_of_ten_held.pk]
        )

    assert_unchanged(eight_of_ten_held)


def test_a_raw_update_of_the_ledger_over_capacity_is_refused(eight_of_ten_held):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE allocations_capacityledger SET reserved = capacity + 1 WHERE offering_id = %s AND day = %s",
            [eight_of_ten_held.offering_id, connection.ops.adapt_datefield_value(date(2031, 2, 14))],
        )

    assert_unchanged(eight_of_ten_held)


def test_a_raw_insert_of_a_holding_allocation_for_days_without_ledger_rows_is_refused(eight_of_ten_held):
    pool = eight_of_ten_held.offering
    unapproved = submitted_application(eight_of_ten_held.application_item.application.call, (pool, 1))
    (item,) = unapproved.items.all()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO allocations_allocation (organization_id, application_item_id, offering_id, quantity,"
            " starts_on, ends_on, state, external_ref, attempts, last_error, created_at, state_changed_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, '', 0, '', %s, %s)",
            [
                unapproved.organization_id,
                item.pk,
                pool.pk,
                1,
                adapt_date(date(2040, 1, 1)),
                adapt_date(date(2040, 1, 31)),
                Allocation.State.ACTIVE.value,
                now,
                now,
            ],
        )

    assert not Allocation.objects.filter(application_item=item).exists()
    assert_unchanged(eight_of_ten_held)


def test_a_raw_multi_row_insert_of_which_one_row_reaches_days_without_ledger_rows_is_refused(eight_of_ten_held):
    pool = eight_of_ten_held.offering
    call = eight_of_ten_held.application_item.application.call
    first, second = (submitted_application(call, (pool, 1)) for _ in range(2))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value
    # February has ledger rows (the held allocation's); March has none yet.
    february = [adapt_date(date(2031, 2, 1)), adapt_date(date(2031, 2, 28))]
    into_march = [adapt_date(date(2031, 2, 20)), adapt_date(date(2031, 3, 10))]

    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO allocations_allocation (organization_id, application_item_id, offering_id, quantity,"
            " starts_on, ends_on, state, external_ref, attempts, last_error, created_at, state_changed_at)"
            " VALUES (%s, %s, %s, 1, %s, %s, 'pending', '', 0, '', %s, %s),"
            " (%s, %s, %s, 1, %s, %s, 'pending', '', 0, '', %s, %s)",
            [first.organization_id, first.items.get().pk, pool.pk, *february, now, now]
            + [second.organization_id, second.items.get().pk, pool.pk, *into_march, now, now],
        )

    if on_postgresql():
        assert f"no row for offering {pool.pk} on 2031-03-01" in str(refused.value)
    assert Allocation.objects.count() == 1
    assert_unchanged(eight_of_ten_held)


def test_a_multi_row_insert_moves_each_day_by_what_its_rows_hold_together():
    pool = make_pool(10, name="A100 GPU bulk")
    call = make_call(pool)
    january, january_to_february = period(0, 31), period(0, 59)
    grants = [
        (submitted_application(call, (pool, n, *days)), n, days)
        for n, days in ((3, january), (4, january_to_february), (2, january))
    ]

    with transaction.atomic():
        capacity.lock_ledger([(pool.pk, *january_to_february)])  # creates the days, as the engine does
        Allocation.objects.bulk_create(
            Allocation(
                organization=application.organization,
                application_item=application.items.get(),
                offering=pool,
                quantity=quantity,
                starts_on=start,
                ends_on=end,
                state=Allocation.State.PENDING,
            )
            for application, quantity, (start, end) in grants
        )

    assert reserved_per_day(pool) == held_per_day(pool)
    assert reserved_per_day(pool)[january[0]] == 9 and reserved_per_day(pool)[january_to_february[1]] == 4
    assert ledger.ledger_drift() == []


def test_a_raw_multi_row_insert_that_together_over_commits_is_refused(eight_of_ten_held):
    pool = eight_of_ten_held.offering
    call = eight_of_ten_held.application_item.application.call
    first, second = (submitted_application(call, (pool, 1)) for _ in range(2))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    adapt_date = connection.ops.adapt_datefield_value
    february = [adapt_date(date(2031, 2, 1)), adapt_date(date(2031, 2, 28))]

    # Each row alone fits (8 + 1 of 10, then 8 + 2): the two rows together would make 8 + 3.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO allocations_allocation (organization_id, application_item_id, offering_id, quantity,"
            " starts_on, ends_on, state, external_ref, attempts, last_error, created_at, state_changed_at)"
            " VALUES (%s, %s, %s, 1, %s, %s, 'pending', '', 0, '', %s, %s),"
            " (%s, %s, %s, 2, %s, %s, 'active', '', 0, '', %s, %s)",
            [first.organization_id, first.items.get().pk, pool.pk, *february, now, now]
            + [second.organization_id, second.items.get().pk, pool.pk, *february, now, now],
        )

    assert Allocation.objects.count() == 1
    assert_unchanged(eight_of_ten_held)


def test_a_shell_update_of_the_quantity_over_capacity_is_refused(eight_of_ten_held):
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.filter(pk=eight_of_ten_held.pk).update(quantity=11)

    assert_unchanged(eight_of_ten_held)


def test_a_shell_update_lowering_a_phase_below_what_is_allocated_is_refused(eight_of_ten_held):
    phases = CapacityPhase.objects.filter(offering=eight_of_ten_held.offering)

    with pytest.raises(IntegrityError), transaction.atomic():
        phases.update(units=0)

    assert list(phases.values_list("units", flat=True)) == [10]
    assert_unchanged(eight_of_ten_held)


def test_setting_phases_below_what_is_allocated_is_refused_naming_the_first_conflicting_day(eight_of_ten_held):
    pool = eight_of_ten_held.offering

    # Capacity falls on 15 January, but the allocation only starts holding on 1 February.
    with pytest.raises(PhaseConflictError) as refused:
        capacity_phases_set(
            actor=None, offering=pool, phases=[(date(2030, 1, 1), 10, False, ""), (date(2031, 1, 15), 4, True, "")]
        )

    assert "2031년 2월 1일(토)" in str(refused.value)
    assert list(pool.phases.values_list("starts_on", "units")) == [(date(2030, 1, 1), 10)]
    assert set(CapacityLedger.objects.filter(offering=pool).values_list("capacity", flat=True)) == {10}
    assert_unchanged(eight_of_ten_held)


# --- Concurrent provisioning ----------------------------------------------------------------------


def test_eight_concurrent_provisions_of_one_allocation_make_one_quota_and_one_history(faulty_cloud):
    # A slow cloud keeps all eight runs inside the backend call at once.
    faulty_cloud.delay_ms = 50
    pool = make_pool(10, name="A100 GPU once")
    application = submitted_application(make_call(pool), (pool, 3))
    (allocation,) = application_approve(actor=None, application=application)

    outcomes = run_together([partial(allocation_provision, allocation_id=allocation.pk)] * 8)

    assert_none_raised(outcomes)
    assert {outcome.state for outcome in outcomes} == {Allocation.State.ACTIVE}
    (allocation,) = Allocation.objects.filter(application_item__application=application)
    resource = ProvisionedResource.objects.get(allocation__application_item__application=application)
    assert allocation.state == Allocation.State.ACTIVE
    assert allocation.external_ref == resource.external_ref
    assert list(allocation.transitions.values_list("from_state", "to_state")) == [
        ("", "pending"),
        ("pending", "provisioning"),
        ("provisioning", "active"),
    ]
    assert ledger.ledger_drift() == []
