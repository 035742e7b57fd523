"""Changes to a running allocation: a later end (an extension) and more units (a supplement),
as approved change requests ask (``aftercare``)."""

import logging
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocations.backends import TransientProvisioningError, provisioner
from allocations.models import Allocation, AllocationTransition, ExpiryReminder
from allocations.services.release import OFFER_FREED_CAPACITY
from outbox.services import enqueue_on_commit
from pool.capacity import DoesNotFit, Need, fit, lock_ledger
from portal import data_version, formats
from portal.errors import DomainError, RetryLater

logger = logging.getLogger(__name__)

SYNC_QUOTA = "allocations.sync_allocation_quota"


def change_needs(allocation: Allocation, *, ends_on: date, quantity: int) -> list[Need]:
    """What extending ``allocation`` to ``ends_on`` and raising it to ``quantity`` adds to the
    pool: the extra units over the current period, and all the units over the added days."""
    needs = []
    if quantity > allocation.quantity:
        needs.append(
            Need(allocation.offering, quantity - allocation.quantity, allocation.starts_on, allocation.ends_on)
        )
    if ends_on > allocation.ends_on:
        needs.append(Need(allocation.offering, quantity, allocation.ends_on + timedelta(days=1), ends_on))
    return needs


@transaction.atomic
def allocation_change(
    *,
    actor: User | None,
    allocation: Allocation,
    ends_on: date | None = None,
    quantity: int | None = None,
    reason: str = "",
) -> Allocation:
    """Extend an allocation that holds capacity to a later ``ends_on`` and/or raise its
    ``quantity`` (an approved extension or supplement request).

    What fits is decided on the ledger rows of the whole new period, locked in (offering, day)
    order (missing days created first): what does not fit raises ``DoesNotFit`` naming the short
    day and leaves the allocation unchanged. The UPDATE then moves the ledger in the same
    statement (the trigger of migration 0003 takes the old period and quantity off and puts the
    new ones on), and the ledger's CHECK has the last word. The quantity counts over the whole
    period, as the ledger records one quantity per allocation. Expiry reminders start again for
    a later end; the quota is resized after the commit. Writes a history row (the
    state is unchanged). Not idempotent on its own: the caller holds the request that asks for
    the change.
    """
    allocation = Allocation.objects.select_for_update(of=("self",)).select_related("offering").get(pk=allocation.pk)
    if not allocation.holds_capacity:
        raise DomainError(_("Only an allocation that holds capacity can be extended or supplemented."))
    new_ends_on = ends_on or allocation.ends_on
    new_quantity = quantity or allocation.quantity
    if new_ends_on < allocation.ends_on or new_quantity < allocation.quantity:
        raise DomainError(_("An extension or supplement cannot shorten or reduce an allocation."))
    if new_ends_on < timezone.localdate():
        raise DomainError(_("The new end date has already passed."))
    if (new_ends_on, new_quantity) == (allocation.ends_on, allocation.quantity):
        return allocation
    needs = change_needs(allocation, ends_on=new_ends_on, quantity=new_quantity)
    free = lock_ledger([(allocation.offering_id, allocation.starts_on, new_ends_on)])
    shortfalls = fit(free, needs)
    if shortfalls:
        raise DoesNotFit(shortfalls)
    try:
        with transaction.atomic():
            Allocation.objects.filter(pk=allocation.pk).update(ends_on=new_ends_on, quantity=new_quantity)
    except IntegrityError:  # the ledger's CHECK disagrees with ``fit`` (a drifted ledger): it wins
        raise DomainError(_("The pool cannot take this change now.")) from None
    if new_ends_on > allocation.ends_on:
        ExpiryReminder.objects.filter(allocation=allocation).delete()
    previous = f"{allocation.quantity} × {allocation.starts_on}–{allocation.ends_on}"
    allocation.refresh_from_db(fields=["ends_on", "quantity"])
    AllocationTransition.objects.create(
        allocation=allocation,
        actor=actor,
        from_state=allocation.state,
        to_state=allocation.state,
        reason=f"{previous} → {allocation.quantity} × {allocation.starts_on}–{allocation.ends_on}. {reason}".strip(),
    )
    # A quota follows the quantity, and the period too where the backend enforces it (a Slurm
    # account's budget of GPU-minutes counts the service days).
    enqueue_on_commit(SYNC_QUOTA, allocation.pk)
    data_version.changed()
    return allocation


@transaction.atomic
def allocation_reduce(*, actor: User | None, allocation: Allocation, quantity: int, reason: str = "") -> Allocation:
    """Lower an active allocation to ``quantity`` units (a reclaim of idle units, ``reclaim``).

    The ledger rows of its period are locked first, in (offering, day) order, as every path that
    moves them does; the UPDATE then gives the units back on every day of the period in the same
    statement (the trigger of migration 0003), so they are free at once, today included. The
    quantity counts over the whole period, as the ledger records one quantity per allocation.
    Writes a history row (the state is unchanged); after the commit the quota is resized and
    the freed capacity offered to the wait-lists that take offers by themselves. Not idempotent
    on its own: the caller holds the case that asks for the reduction.
    """
    allocation = Allocation.objects.select_for_update(of=("self",)).select_related("offering").get(pk=allocation.pk)
    if not allocation.is_active:
        raise DomainError(_("Only an active allocation can be reduced."))
    if not 1 <= quantity < allocation.quantity:
        raise DomainError(
            _("Reduce to between 1 and %(most)s units.") % {"most": formats.figure(allocation.quantity - 1)}
        )
    lock_ledger([(allocation.offering_id, allocation.starts_on, allocation.ends_on)])
    previous = allocation.quantity
    Allocation.objects.filter(pk=allocation.pk).update(quantity=quantity)
    allocation.quantity = quantity
    AllocationTransition.objects.create(
        allocation=allocation,
        actor=actor,
        from_state=allocation.state,
        to_state=allocation.state,
        reason=f"{formats.figure(previous)} → {formats.figure(quantity)}. {reason}".strip(),
    )
    enqueue_on_commit(SYNC_QUOTA, allocation.pk)
    enqueue_on_commit(OFFER_FREED_CAPACITY)
    data_version.changed()
    return allocation


# Attempts at resizing a quota before giving up (the quota then follows at the next change).
QUOTA_SYNC_ATTEMPTS = 10


def allocation_quota_sync(*, allocation_id: int, attempt: int = 1) -> Allocation:
    """Bring the quota of an active allocation to its current quantity (after a supplement).

    Idempotent: the backend sets the quota to the allocation's figures; a backend without
    ``resize`` keeps quotas per allocation and needs nothing. A backend that does not answer
    now raises ``RetryLater`` (backoff 2, 4, 8… s) until the ``attempt``-th of
    ``QUOTA_SYNC_ATTEMPTS``; then the failure is logged for an operator and not retried.
    """
    allocation = Allocation.objects.select_related("offering").get(pk=allocation_id)
    resize = getattr(provisioner(), "resize", None)
    if allocation.state != Allocation.State.ACTIVE or resize is None:
        return allocation
    try:
        resize(allocation)
    except TransientProvisioningError as error:
        if attempt >= QUOTA_SYNC_ATTEMPTS:
            logger.error(
                "gave up resizing the quota of allocation %s after %s attempts: %s", allocation.pk, attempt, error
            )
            return allocation
        raise RetryLater(str(error), countdown=min(2**attempt, 600)) from error
    return allocation
