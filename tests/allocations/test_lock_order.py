"""Locks in one order: every path that moves the capacity ledger locks its rows by (offering,
day) before the statement whose trigger moves them, so that a grant and a release, a phase edit
or a provisioning failure over the same days wait for each other instead of deadlocking.

Each test sets two of the engine's paths against each other, in threads with their own
connections, on the same ledger rows, with the odds stacked towards a deadlock:

- the ledger rows are stored in the reverse of their day order (rows are created on demand, so
  the table's physical order is not day order): a statement that locks rows as it finds them
  goes the opposite way to one that locks them in (offering, day) order;
- this test's own connection holds one row in the middle of the period, which both need, until
  both transactions are waiting for a lock, each inside its locking statement, holding the rows
  on its side of that row; then it lets go.

Paths that lock in the one order make one of the two wait for the other; a path that locks in
any other order deadlocks in every round (PostgreSQL aborts one of the two with ``deadlock
detected``). SQLite lets one writer in at a time, so there is no lock order to test there.
"""

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from allocations import ledger, tasks
from allocations.models import Allocation
from allocations.services.changes import allocation_change
from allocations.services.decisions import application_approve, applications_approve
from allocations.services.provisioning import allocation_provision
from allocations.services.release import allocation_release
from pool import capacity
from pool.capacity import DoesNotFit
from pool.models import CapacityLedger, CapacityPhase, Offering
from pool.services import PhaseConflictError, capacity_phases_set
from tests.allocations.conftest import make_call, submitted_application
from tests.factories import OfferingFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="SQLite serialises writers: two transactions never hold ledger rows at once, so there is no lock order",
    ),
]

ROUNDS = 3
DAYS = 365  # ledger rows per period: many rows, so each side holds many when they meet
FIRST = date(2031, 1, 1)
LAST = FIRST + timedelta(days=DAYS - 1)
MIDDLE = FIRST + timedelta(days=DAYS // 2)
# How long the two transactions may take to reach their locking statements.
MEETING_TIMEOUT = 20
# Longer than any lock wait of a correct engine (PostgreSQL breaks a deadlock after 1 s).
THREAD_TIMEOUT = 60


def pool_with_ledger_in_reverse(units: int, first: date = FIRST, last: date = LAST, *, name: str) -> Offering:
    """An offering with ``units`` from 2020 on and a ledger row for every day from ``first`` to
    ``last``, stored last day first: its physical order is the reverse of its day order."""
    offering = OfferingFactory(name=name)
    CapacityPhase.objects.create(offering=offering, starts_on=date(2020, 1, 1), units=units)
    CapacityLedger.objects.bulk_create(
        CapacityLedger(offering=offering, day=day, capacity=units, reserved=0)
        for day in reversed(capacity.days(first, last))
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT day FROM allocations_capacityledger WHERE offering_id = %s ORDER BY ctid", [offering.pk])
        stored = [row[0] for row in cursor.fetchall()]
        # What autovacuum does on a live ledger: with statistics, PostgreSQL scans a period's
        # rows in physical order (sequential or bitmap heap scan), not by the (offering, day)
        # index, as it does on a table it knows nothing about.
        cursor.execute("ANALYZE allocations_capacityledger")
    assert stored == sorted(stored, reverse=True), "the setup needs rows stored out of day order"
    return offering


def run_meeting_at(offering: Offering, day: date, first: Callable, second: Callable) -> list:
    """Run ``first`` and ``second`` in threads of their own, each with its own connection, while
    this thread holds the ledger row of (``offering``, ``day``); let go of it once each is waiting
    for a lock (or done, having needed nothing that was held), and return what each returned or
    raised."""
    backends: list[int | None] = [None, None]
    outcomes: list = [None, None]

    def run(index: int, job: Callable) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends[index] = cursor.fetchone()[0]
            outcomes[index] = job()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job), daemon=True) for n, job in enumerate((first, second))]
    with transaction.atomic():
        held = CapacityLedger.objects.filter(offering=offering, day=day).order_by()  # no join to the offering
        list(held.select_for_update().values_list("pk"))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + MEETING_TIMEOUT
        while True:
            waiting = waiting_for_a_lock(backends)
            if waiting and all(backends[n] in waiting or not thread.is_alive() for n, thread in enumerate(threads)):
                break
            assert time.monotonic() < deadline, f"the transactions did not meet within {MEETING_TIMEOUT} s: {outcomes}"
            time.sleep(0.005)
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), f"still running after {THREAD_TIMEOUT} s"
    return outcomes


def waiting_for_a_lock(backends: list[int | None]) -> set[int]:
    """Those of the sessions ``backends`` that wait for a lock now."""
    pids = [pid for pid in backends if pid is not None]
    if not pids:
        return set()
    with connection.cursor() as cursor:  # pg_locks is read live, even inside a transaction
        cursor.execute("SELECT DISTINCT pid FROM pg_locks WHERE NOT granted AND pid = ANY(%s)", [pids])
        return {pid for (pid,) in cursor.fetchall()}


def errors(outcomes: list) -> list[str]:
    return [f"{type(outcome).__name__}: {outcome}".strip() for outcome in outcomes if isinstance(outcome, Exception)]


def assert_no_round_failed(failures: list[str]) -> None:
    assert not failures, f"{len(failures)} of {ROUNDS} rounds raised:\n" + "\n".join(failures)


def assert_held_exactly(offering: Offering) -> None:
    """The ledger equals the allocations and phases, and no day holds more than its capacity."""
    assert ledger.ledger_drift([offering.pk]) == []
    assert not CapacityLedger.objects.filter(offering=offering, reserved__gt=F("capacity")).exists()


def active_allocation(offering: Offering, units: int, first: date, last: date) -> Allocation:
    application = submitted_application(make_call(offering), (offering, units, first, last))
    (allocation,) = application_approve(actor=None, application=application)
    return allocation_provision(allocation_id=allocation.pk)


# --- What each side runs (in its thread) ----------------------------------------------------------


def grant(application) -> str:
    """A reviewer approves in full (the decision page); a refusal for lack of room is an answer."""
    try:
        application_approve(actor=None, application=application)
    except DoesNotFit:
        return "does not fit"
    return "approved"


def approve_batch(applications) -> tuple[int, set[type]]:
    """Filling a call by priority: one batch approval in rank order."""
    result = applications_approve(actor=None, applications=applications, reason="Filled by priority.")
    return len(result.approved), {type(error) for _application, error in result.refused}


def revoke(allocation: Allocation) -> str:
    """An operator's "Revoke" admin action."""
    return allocation_release(actor=None, allocation=allocation, to_state="revoked", reason="Withdrawn.").state


def edit_phases(offering: Offering, phases) -> str:
    """An operator saves the offering's capacity phases in the admin."""
    try:
        capacity_phases_set(actor=None, offering=offering, phases=phases)
    except PhaseConflictError:
        return "conflict"
    return "changed"


def extend(allocation: Allocation, ends_on: date) -> str:
    """A reviewer approves an extension request."""
    try:
        allocation_change(actor=None, allocation=allocation, ends_on=ends_on, reason="Extension.")
    except DoesNotFit:
        return "does not fit"
    return "extended"


# --- The pairs ------------------------------------------------------------------------------------


def test_a_grant_and_a_revocation_over_the_same_days_wait_for_each_other():
    failures = []
    for round_number in range(ROUNDS):
        pool = pool_with_ledger_in_reverse(100, name=f"A100 GPU revoked {round_number}")
        revoked = active_allocation(pool, 40, FIRST, LAST)
        newcomer = submitted_application(make_call(pool), (pool, 70, FIRST, LAST))  # fits once the 40 are back

        outcomes = run_meeting_at(pool, MIDDLE, partial(grant, newcomer), partial(revoke, revoked))

        if errors(outcomes):
            failures.append(f"round {round_number}: {errors(outcomes)}")
            continue
        assert outcomes[1] == Allocation.State.REVOKED
        assert outcomes[0] in ("approved", "does not fit")  # the revocation committed after or before
        assert_held_exactly(pool)
    assert_no_round_failed(failures)


def test_a_grant_and_the_expiry_run_over_the_same_days_wait_for_each_other():
    # A wait-listed application of a call in service asks for days already past: the days of the
    # allocations that expire.
    today = timezone.localdate()
    first, last = today - timedelta(days=DAYS), today + timedelta(days=30)
    failures = []
    for round_number in range(ROUNDS):
        pool = pool_with_ledger_in_reverse(100, first, last, name=f"A100 GPU expired {round_number}")
        ended = active_allocation(pool, 40, first, today - timedelta(days=1))
        newcomer = submitted_application(make_call(pool), (pool, 70, first, last))

        outcomes = run_meeting_at(
            pool, first + timedelta(days=DAYS // 2), partial(grant, newcomer), tasks.expire_allocations
        )

        if errors(outcomes):
            failures.append(f"round {round_number}: {errors(outcomes)}")
            continue
        assert outcomes[1] == 1
        assert Allocation.objects.get(pk=ended.pk).state == Allocation.State.EXPIRED
        assert outcomes[0] in ("approved", "does not fit")
        assert_held_exactly(pool)
    assert_no_round_failed(failures)


def test_a_grant_and_a_phase_edit_of_the_same_offering_wait_for_each_other():
    failures = []
    for round_number in range(ROUNDS):
        pool = pool_with_ledger_in_reverse(100, name=f"A100 GPU rephased {round_number}")
        newcomer = submitted_application(make_call(pool), (pool, 70, FIRST, LAST))
        # From the 100th day on, 60: the grant and the new phases cannot both stand.
        phases = [(date(2020, 1, 1), 100, False, ""), (FIRST + timedelta(days=100), 60, True, "")]

        outcomes = run_meeting_at(pool, MIDDLE, partial(grant, newcomer), partial(edit_phases, pool, phases))

        if errors(outcomes):
            failures.append(f"round {round_number}: {errors(outcomes)}")
            continue
        assert sorted(outcomes) in (["approved", "conflict"], ["changed", "does not fit"])
        assert_held_exactly(pool)
    assert_no_round_failed(failures)


def test_a_batch_approval_and_a_provisioning_failure_over_the_same_days_wait_for_each_other(faulty_cloud):
    faulty_cloud.always_fail = True
    failures = []
    for round_number in range(ROUNDS):
        pool = pool_with_ledger_in_reverse(100, name=f"A100 GPU failed {round_number}")
        (doomed,) = application_approve(
            actor=None, application=submitted_application(make_call(pool), (pool, 40, FIRST, LAST))
        )
        call = make_call(pool)
        # Sub-periods of the year, each holding the middle day, as applicants may ask for.
        batch = [
            submitted_application(call, (pool, 10, FIRST + timedelta(days=20 * n), LAST - timedelta(days=15 * n)))
            for n in range(8)
        ]

        outcomes = run_meeting_at(
            pool, MIDDLE, partial(approve_batch, batch), partial(allocation_provision, allocation_id=doomed.pk)
        )

        if errors(outcomes):
            failures.append(f"round {round_number}: {errors(outcomes)}")
            continue
        approved, refusals = outcomes[0]
        assert outcomes[1].state == Allocation.State.FAILED
        # 8 x 10 on the middle day: 6 fit beside the 40 still held, all 8 once they are released.
        assert (approved, refusals) in ((6, {DoesNotFit}), (8, set()))
        assert_held_exactly(pool)
    assert_no_round_failed(failures)


def test_a_grant_and_an_extension_over_the_same_days_wait_for_each_other():
    failures = []
    for round_number in range(ROUNDS):
        pool = pool_with_ledger_in_reverse(100, name=f"A100 GPU extended {round_number}")
        extended = active_allocation(pool, 40, FIRST, FIRST + timedelta(days=99))
        newcomer = submitted_application(make_call(pool), (pool, 70, FIRST + timedelta(days=100), LAST))

        outcomes = run_meeting_at(pool, MIDDLE, partial(grant, newcomer), partial(extend, extended, LAST))

        if errors(outcomes):
            failures.append(f"round {round_number}: {errors(outcomes)}")
            continue
        # Each fits alone; together they would hold 40 + 70 of 100 from the 100th day on.
        assert sorted(outcomes) in (["approved", "does not fit"], ["does not fit", "extended"])
        assert_held_exactly(pool)
    assert_no_round_failed(failures)
