"""The usage changes (``UsageChange``) are locked in (offering, day) order, after the ledger rows:
two batches activated at once over the same days wait for each other instead of deadlocking,
whatever order their allocations are in.

The setup stacks the odds as ``test_lock_order`` does: batch A has its GPU allocation first and
its storage allocation second, batch B the reverse (by id, the order a statement updates them
in); this test's own connection holds the GPU offering's first usage row, which both need, until
both batches wait for a lock inside their activating statement; then it lets go. Locked in the
statement's row order (a row-level trigger), B would hold the storage rows while waiting for the
GPU row that A takes next, and A would then wait for B's storage rows: a deadlock in every round.
PostgreSQL only: SQLite lets one writer in at a time.
"""

import threading
import time
from functools import partial

import pytest
from django.db import connection, transaction

from allocations.models import Allocation, UsageChange
from allocations.services.provisioning import allocations_provision
from allocations.usage import usage_drift
from pool.capacity import lock_ledger
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, make_pool, submitted_application
from tests.allocations.test_lock_order import (
    MEETING_TIMEOUT,
    ROUNDS,
    THREAD_TIMEOUT,
    assert_no_round_failed,
    errors,
    waiting_for_a_lock,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="SQLite serialises writers: two transactions never hold usage rows at once, so there is no lock order",
    ),
]


def pending(offering, call, units: int) -> Allocation:
    """A pending allocation over the call's period, inserted as a grant inserts it."""
    application = submitted_application(call, (offering, units))
    with transaction.atomic():
        lock_ledger([(offering.pk, SERVICE_START, SERVICE_END)])
        return Allocation.objects.create(
            organization=application.organization,
            application_item=application.items.get(),
            offering=offering,
            quantity=units,
            starts_on=SERVICE_START,
            ends_on=SERVICE_END,
        )


def activate_together(allocation_ids: list[int]) -> int:
    """The batch's one provisioning message (the modelled cloud: one transaction)."""
    return len(allocations_provision(allocation_ids=allocation_ids))


def run_holding_a_usage_row(row: UsageChange, jobs) -> list:
    backends: list[int | None] = [None, None]
    outcomes: list = [None, None]

    def run(index: int, job) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends[index] = cursor.fetchone()[0]
            outcomes[index] = job()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job), daemon=True) for n, job in enumerate(jobs)]
    with transaction.atomic():
        list(UsageChange.objects.filter(pk=row.pk).select_for_update().values_list("pk"))
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


def test_two_batches_activated_at_once_wait_for_each_other_on_the_usage_rows():
    failures = []
    for round_number in range(ROUNDS):
        gpu = make_pool(1000, name=f"GPU {round_number}")
        storage = make_pool(1000, name=f"Storage {round_number}")
        call = make_call(gpu, storage)
        pending(gpu, call, 1)  # the usage rows exist before the race, as on a live pool
        pending(storage, call, 1)
        batch_a = [pending(gpu, call, 2).pk, pending(storage, call, 3).pk]  # GPU first
        batch_b = [pending(storage, call, 5).pk, pending(gpu, call, 7).pk]  # storage first
        first_gpu_row = UsageChange.objects.get(offering=gpu, day=SERVICE_START)

        outcomes = run_holding_a_usage_row(
            first_gpu_row, [partial(activate_together, batch_a), partial(activate_together, batch_b)]
        )

        failures += errors(outcomes)
        assert usage_drift([gpu.pk, storage.pk]) == []
    assert_no_round_failed(failures)
    assert Allocation.objects.filter(state=Allocation.State.ACTIVE).count() == 4 * ROUNDS
