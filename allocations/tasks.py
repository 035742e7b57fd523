"""Celery tasks: thin wrappers that take an id and call one service.

The database row is the job and the message only a nudge: every task can run twice, late or
concurrently and leave the same end state, and ``sweep_stuck_allocations`` re-drives rows whose
message was lost (broker down at approval time, a worker killed mid-task).
"""

import logging

from celery import shared_task
from django.conf import settings

from allocations import capacity, emails, selectors, services
from allocations.models import Allocation
from allocations.provisioning import TransientProvisioningError
from applications.models import Application, Call

logger = logging.getLogger(__name__)


@shared_task(name="allocations.provision_allocation", bind=True, acks_late=True, reject_on_worker_lost=True)
def provision_allocation(self, allocation_id: int) -> str:
    try:
        return services.allocation_provision(allocation_id=allocation_id).state
    except TransientProvisioningError as error:
        # The allocation counts its attempts (a sweeper's fresh message included), not the message.
        attempts = Allocation.objects.values_list("attempts", flat=True).get(pk=allocation_id)
        if attempts >= settings.PROVISIONING_MAX_ATTEMPTS:
            return services.allocation_fail(
                allocation_id=allocation_id, reason=f"gave up after {attempts} attempts: {error}"
            ).state
        # Exponential backoff: 2, 4, 8… seconds, at most ten minutes.
        raise self.retry(exc=error, countdown=min(2**attempts, 600), max_retries=None) from error


@shared_task(name="allocations.provision_allocations", acks_late=True, reject_on_worker_lost=True)
def provision_allocations(allocation_ids: list[int]) -> int:
    """An approval's batch in one transaction; when it cannot go together (a backend error, a
    backend that provisions one at a time), one message per allocation, each with its retries."""
    try:
        return len(services.allocations_provision(allocation_ids=allocation_ids))
    except services.NotProvisionableTogether:
        for allocation_id in allocation_ids:
            provision_allocation.delay(allocation_id)
        return 0


@shared_task(name="allocations.expire_allocations")
def expire_allocations() -> int:
    expired = 0
    for allocation in selectors.allocations_to_expire():
        services.allocation_release(
            actor=None, allocation=allocation, to_state="expired", reason="The service period ended."
        )
        expired += 1
    return expired


@shared_task(name="allocations.sweep_stuck_allocations")
def sweep_stuck_allocations() -> int:
    stuck = list(selectors.allocations_stuck().values_list("pk", flat=True))
    for allocation_id in stuck:
        logger.info("re-driving stuck allocation %s", allocation_id)
        provision_allocation.delay(allocation_id)
    return len(stuck)


@shared_task(name="allocations.offer_freed_capacity")
def offer_freed_capacity() -> int:
    calls = Call.objects.filter(
        waitlist_auto_approve=True, applications__status=Application.Status.WAITLISTED
    ).distinct()
    return sum(len(services.waitlist_offer_freed_capacity(call=call)) for call in calls)


@shared_task(name="allocations.send_expiry_reminders")
def send_expiry_reminders() -> int:
    return emails.send_due_expiry_reminders()


@shared_task(name="allocations.check_capacity")
def check_capacity() -> int:
    drift = capacity.ledger_drift()
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
    return len(drift)
