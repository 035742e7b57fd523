"""The end of an allocation: expired after its last day, revoked by an operator, or failed when
provisioning gave up. Its capacity returns to the pool in the same statement (the ledger's
trigger), the quota is removed after the commit, and the freed capacity is offered to the
wait-lists (``filling.waitlist_offer_freed_capacity``, through its task).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocations.backends import provisioner
from allocations.models import Allocation, AllocationTransition
from outbox.services import enqueue_on_commit
from pool.capacity import lock_ledger
from portal import data_version
from portal.errors import DomainError

OFFER_FREED_CAPACITY = "allocations.offer_freed_capacity"


def _lock_allocation(allocation_id: int) -> Allocation:
    # of=self: a lock on the offering row would conflict with the foreign-key checks of
    # concurrent ledger and allocation inserts (FOR KEY SHARE) and deadlock with them.
    return Allocation.objects.select_for_update(of=("self",)).select_related("offering").get(pk=allocation_id)


def _end(allocation: Allocation, to_state: str, *, actor: User | None = None, reason: str = "") -> None:
    """Move a locked allocation that holds capacity to an end state, with its history row.

    The UPDATE fires the ledger trigger, which gives the capacity back on every day of the
    period. The ledger rows are locked first, in (offering, day) order, as every grant locks
    them: a release and a grant over the same days then wait for each other instead of
    deadlocking on rows locked in opposite orders.
    """
    lock_ledger([(allocation.offering_id, allocation.starts_on, allocation.ends_on)])
    previous = allocation.state
    allocation.state = to_state
    allocation.state_changed_at = timezone.now()
    allocation.save(update_fields=["state", "state_changed_at", "last_error"])
    AllocationTransition.objects.create(
        allocation=allocation, actor=actor, from_state=previous, to_state=to_state, reason=reason
    )
    enqueue_on_commit(OFFER_FREED_CAPACITY)
    data_version.changed()


@transaction.atomic
def allocation_fail(*, allocation_id: int, reason: str, actor: User | None = None) -> Allocation:
    """Give up provisioning: the allocation is failed and its capacity released. Idempotent.
    ``actor`` is None for the engine itself, the provisioning system's account when it reported
    the failure."""
    allocation = _lock_allocation(allocation_id)
    if not allocation.is_provisionable:
        return allocation
    allocation.last_error = reason[:2000]
    _end(allocation, Allocation.State.FAILED, actor=actor, reason=reason[:2000])
    return allocation


@transaction.atomic
def allocation_release(*, actor: User | None, allocation: Allocation, to_state: str, reason: str = "") -> Allocation:
    """End an allocation: ``expired`` at its end, ``revoked`` by the operator.

    Its capacity returns to the pool in the same statement; the quota is removed after the
    commit, and the freed capacity is offered to wait-lists. Idempotent for an allocation
    already ended.
    """
    if to_state not in (Allocation.State.EXPIRED, Allocation.State.REVOKED):
        raise ValueError(f"cannot release to {to_state}")
    allocation = _lock_allocation(allocation.pk)
    if not allocation.holds_capacity:
        return allocation
    if to_state == Allocation.State.EXPIRED and allocation.state != Allocation.State.ACTIVE:
        raise DomainError(_("Only an active allocation expires."))
    _end(allocation, to_state, actor=actor, reason=reason)
    # robust: a backend that cannot remove the quota now (a Slurm job still running, slurmdbd
    # down) must not stop the caller's loop; the backend's periodic sync removes it later.
    transaction.on_commit(lambda: provisioner().deprovision(allocation), robust=True)
    return allocation
