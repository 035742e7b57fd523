"""Celery tasks of the allocation engine: thin edges that take an id and call one service.

The database row is the job and the message only a nudge: every task can run twice, late or
concurrently and leave the same end state, and ``sweep_stuck_allocations`` re-drives rows whose
message was lost (a worker killed mid-task, a message dropped by the broker). When to retry and
when to give up is the services' rule (they raise ``RetryLater``), not the tasks'.
"""

import logging

from celery import shared_task

from allocations import emails, ledger, selectors
from allocations.models import Allocation
from allocations.services import changes, filling, provisioning, release
from allocations.usage import usage_drift
from outbox.services import enqueue_on_commit
from portal.errors import RetryLater

logger = logging.getLogger(__name__)


# The database row is the job: acknowledged late, rejected (redelivered) if the worker dies.
@shared_task(name=provisioning.PROVISION_ONE, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def provision_allocation(self, allocation_id: int) -> str:
    try:
        return provisioning.allocation_provision(allocation_id=allocation_id).state
    except RetryLater as later:
        raise self.retry(exc=later, countdown=later.countdown, max_retries=None) from later


@shared_task(name=provisioning.PROVISION_MANY, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def provision_allocations(allocation_ids: list[int]) -> int:
    """An approval's batch in one transaction; when it cannot go together (a backend error, a
    backend that provisions one at a time), one message per allocation, each with its retries."""
    try:
        return len(provisioning.allocations_provision(allocation_ids=allocation_ids))
    except provisioning.NotProvisionableTogether:
        provisioning.provision_each(allocation_ids=allocation_ids)
        return 0


@shared_task(name=changes.SYNC_QUOTA, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def sync_allocation_quota(self, allocation_id: int) -> str:
    try:
        return changes.allocation_quota_sync(allocation_id=allocation_id, attempt=self.request.retries + 1).state
    except RetryLater as later:
        raise self.retry(exc=later, countdown=later.countdown, max_retries=None) from later


@shared_task(name="allocations.expire_allocations", ignore_result=False)
def expire_allocations() -> int:
    expired = 0
    for allocation in selectors.allocations_to_expire():
        release.allocation_release(
            actor=None, allocation=allocation, to_state=Allocation.State.EXPIRED, reason="The service period ended."
        )
        expired += 1
    return expired


@shared_task(name="allocations.sweep_stuck_allocations", ignore_result=False)
def sweep_stuck_allocations() -> int:
    stuck = list(selectors.allocations_stuck().values_list("pk", flat=True))
    for allocation_id in stuck:
        logger.info("re-driving stuck allocation %s", allocation_id)
        enqueue_on_commit(provisioning.PROVISION_ONE, allocation_id)
    return len(stuck)


@shared_task(name="allocations.sync_service_periods", ignore_result=False)
def sync_service_periods() -> int:
    return provisioning.allocations_sync_service_periods()


@shared_task(name=release.OFFER_FREED_CAPACITY, ignore_result=True)
def offer_freed_capacity() -> int:
    return sum(len(filling.waitlist_offer_freed_capacity(call=call)) for call in filling.calls_with_waitlist_offers())


@shared_task(name="allocations.send_expiry_reminders", ignore_result=False)
def send_expiry_reminders() -> int:
    return emails.send_due_expiry_reminders()


@shared_task(name="allocations.check_capacity", ignore_result=False)
def check_capacity() -> int:
    drift = ledger.ledger_drift()
    for row in drift:
        logger.error(
            "CAPACITY LEDGER DRIFT offering=%s day=%s ledger_reserved=%s allocations_hold=%s "
            "ledger_capacity=%s phase_capacity=%s overcommitted=%s",
            row.offering_id,
            row.day,
            row.ledger_reserved,
            row.allocations_hold,
            row.ledger_capacity,
            row.phase_capacity,
            row.overcommitted,
        )
    usage = usage_drift()
    for change in usage:
        logger.error(
            "DASHBOARD USAGE DRIFT offering=%s day=%s kept=%s recomputed=%s",
            change.offering_id,
            change.day,
            change.kept,
            change.recomputed,
        )
    return len(drift) + len(usage)
