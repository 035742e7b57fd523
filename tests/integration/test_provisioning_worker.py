"""Provisioning by a real Celery worker: from an approval to an active allocation, and what
happens when the worker dies mid-task, the broker is down at approval time, or the cloud keeps
failing. The database row is the job; these tests check that a lost message costs a delay and
never a second quota or a lost grant."""

import os
import signal
import time

import pytest

from allocations.models import Allocation, ProvisionedResource
from allocations.services.decisions import application_approve
from allocations.services.provisioning import PROVISION_ONE
from allocations.tasks import provision_allocation, sweep_stuck_allocations
from applications.models import Application
from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from pool.capacity import availability
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, make_pool, submitted_application
from tests.integration.conftest import FAULTY_CLOUD, broker_unreachable

pytestmark = pytest.mark.integration

TIMEOUT = 60  # seconds; every wait below polls the database until then
POOL_UNITS = 10
GRANTED_UNITS = 4

PROVISIONED = [("", "pending"), ("pending", "provisioning"), ("provisioning", "active")]


def approve_one() -> Allocation:
    """Approve a submitted application for GRANTED_UNITS of a fresh pool; its one allocation."""
    offering = make_pool(POOL_UNITS)
    application = submitted_application(make_call(offering), (offering, GRANTED_UNITS))
    [allocation] = application_approve(actor=None, application=application)
    return allocation


def wait_for_state(allocation: Allocation, state: str, timeout: float = TIMEOUT) -> Allocation:
    deadline = time.monotonic() + timeout
    while True:
        allocation.refresh_from_db()
        if allocation.state == state:
            return allocation
        if time.monotonic() > deadline:
            pytest.fail(
                f"allocation {allocation.pk} is {allocation.state} after {timeout} s, not {state} "
                f"(attempts {allocation.attempts}, last error {allocation.last_error!r})"
            )
        time.sleep(0.1)


def sweep_until_redriven(timeout: float = TIMEOUT) -> int:
    """Run the sweeper (in this process, sending to the test's queue) until it re-drives something."""
    deadline = time.monotonic() + timeout
    while not (redriven := sweep_stuck_allocations()):
        if time.monotonic() > deadline:
            pytest.fail(f"the sweeper found no stuck allocation within {timeout} s")
        time.sleep(0.2)
    return redriven


def history(allocation: Allocation) -> list[tuple[str, str]]:
    return list(allocation.transitions.order_by("created_at", "pk").values_list("from_state", "to_state"))


def free_units(allocation: Allocation) -> int:
    return availability(allocation.offering_id, SERVICE_START, SERVICE_END).free


def assert_provisioned_once(allocation: Allocation) -> None:
    resources = list(ProvisionedResource.objects.filter(allocation=allocation))
    assert len(resources) == 1
    assert resources[0].external_ref == allocation.external_ref == f"nai-dc/quota/{allocation.pk}"
    assert resources[0].quantity == GRANTED_UNITS
    assert history(allocation) == PROVISIONED
    assert allocation.last_error == ""
    assert free_units(allocation) == POOL_UNITS - GRANTED_UNITS


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_provisions_an_approved_allocation(task_queue, start_worker):
    start_worker(task_queue)

    allocation = approve_one()

    wait_for_state(allocation, Allocation.State.ACTIVE)
    assert allocation.attempts == 1
    assert_provisioned_once(allocation)


def wait_for_log(worker, text: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while text not in worker.log_path.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the worker did not log {text!r}:\n{worker.log_path.read_text()}")
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_an_allocation_whose_worker_was_killed_mid_provision_is_provisioned_once_after_a_sweep(
    task_queue, start_worker, settings
):
    slow_worker = start_worker(task_queue, PROVISIONER_BACKEND=FAULTY_CLOUD, FAULTY_CLOUD_DELAY_MS="5000")
    allocation = approve_one()
    wait_for_log(slow_worker, f"faulty cloud: provisioning allocation {allocation.pk} takes")

    os.killpg(slow_worker.pid, signal.SIGKILL)  # inside the cloud call, in the transaction that would activate
    assert slow_worker.wait(timeout=10) == -signal.SIGKILL
    # The modelled cloud keeps its quotas in the portal's database: the claim, the quota and the
    # activation were one transaction, and nothing of it stays.
    allocation.refresh_from_db()
    assert (allocation.state, allocation.attempts) == (Allocation.State.PENDING, 0)
    assert not ProvisionedResource.objects.filter(allocation=allocation).exists()

    start_worker(task_queue)
    settings.PROVISIONING_STUCK_AFTER_SECONDS = 1
    assert sweep_until_redriven() == 1

    wait_for_state(allocation, Allocation.State.ACTIVE)
    assert allocation.attempts == 1  # the sweeper's; the killed attempt rolled back with its count
    assert_provisioned_once(allocation)


@pytest.mark.django_db(transaction=True)
def test_an_approval_stands_while_the_broker_is_down_and_the_outbox_relay_provisions_it_later(
    task_queue, start_worker, tmp_path, monkeypatch, caplog
):
    with broker_unreachable(tmp_path, monkeypatch):
        allocation = approve_one()  # raises nothing: the approval is committed, the nudge kept

    assert "could not hand allocations.provision_allocation" in caplog.text
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.PENDING
    assert allocation.application_item.application.status == Application.Status.APPROVED
    assert free_units(allocation) == POOL_UNITS - GRANTED_UNITS  # the pending allocation holds its capacity
    assert list(OutboxMessage.objects.values_list("task", "args")) == [(PROVISION_ONE, [allocation.pk])]

    start_worker(task_queue)  # answering its ping means it has taken everything queued before it
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.PENDING  # no message reached the broker

    # What beat runs every few seconds: the nudge goes out as soon as the broker answers,
    # without waiting for the sweeper's stuck-after age.
    assert outbox_relay(older_than_seconds=0) == 1

    wait_for_state(allocation, Allocation.State.ACTIVE)
    assert allocation.attempts == 1
    assert_provisioned_once(allocation)
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_allocation_is_failed_and_its_capacity_released_when_its_attempts_run_out(task_queue, start_worker):
    start_worker(
        task_queue,
        PROVISIONER_BACKEND=FAULTY_CLOUD,
        FAULTY_CLOUD_TRANSIENT_FAILURES="100",
        PROVISIONING_MAX_ATTEMPTS="2",
    )

    allocation = approve_one()

    wait_for_state(allocation, Allocation.State.FAILED)
    assert allocation.attempts == 2
    assert allocation.last_error.startswith("gave up after 2 attempts: ")
    assert "the faulty cloud is unavailable (attempt 2)" in allocation.last_error
    assert free_units(allocation) == POOL_UNITS
    assert history(allocation) == [("", "pending"), ("pending", "provisioning"), ("provisioning", "failed")]
    assert not ProvisionedResource.objects.filter(allocation=allocation).exists()


@pytest.mark.django_db
def test_provisioning_run_twice_leaves_one_active_allocation_and_one_quota():
    # Not transactional: the approval's on-commit nudge is never sent, the task runs only here.
    allocation = approve_one()

    first = provision_allocation.apply(args=[allocation.pk])
    second = provision_allocation.apply(args=[allocation.pk])

    assert (first.get(), second.get()) == (Allocation.State.ACTIVE, Allocation.State.ACTIVE)
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.ACTIVE
    assert allocation.attempts == 1  # the second run found it active and did nothing
    assert_provisioned_once(allocation)


def approve_a_batch() -> list[Allocation]:
    """Approve an application for a GPU pool and a storage pool: one message for both allocations."""
    gpu = make_pool(POOL_UNITS)
    storage = make_pool(POOL_UNITS, name="Storage", kind="storage", unit="tb")
    application = submitted_application(make_call(gpu, storage), (gpu, GRANTED_UNITS), (storage, GRANTED_UNITS))
    return application_approve(actor=None, application=application)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_provisions_an_approvals_allocations_together(task_queue, start_worker):
    start_worker(task_queue)

    allocations = approve_a_batch()

    for allocation in allocations:
        wait_for_state(allocation, Allocation.State.ACTIVE)
        assert allocation.attempts == 1
        assert_provisioned_once(allocation)


@pytest.mark.django_db(transaction=True)
def test_a_batch_the_cloud_refuses_for_now_is_provisioned_one_by_one_with_retries(task_queue, start_worker):
    # The batch's attempt rolls back whole (not counted); each allocation's own first attempt
    # fails, is counted and retried after its backoff.
    start_worker(task_queue, PROVISIONER_BACKEND=FAULTY_CLOUD, FAULTY_CLOUD_TRANSIENT_FAILURES="1")

    allocations = approve_a_batch()

    for allocation in allocations:
        wait_for_state(allocation, Allocation.State.ACTIVE)
        assert allocation.attempts == 2
        assert_provisioned_once(allocation)
