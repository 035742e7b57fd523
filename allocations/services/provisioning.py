"""Provisioning: pending allocations become quotas in the data center and turn active.

The database row is the job: an approval leaves pending allocations and asks (through the
outbox) for them to be provisioned; a lost message costs a delay, because the sweeper re-drives
allocations stuck in pending or provisioning. Every service here is idempotent.
"""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocations.backends import (
    Provisioner,
    ProvisioningError,
    TransientProvisioningError,
    provisioner,
    provisioner_class,
)
from allocations.models import HOLDING_STATES, Allocation, AllocationTransition
from allocations.services.release import allocation_fail
from outbox.services import enqueue_on_commit
from portal import data_version
from portal.errors import DomainError, RetryLater

# Allocations provisioned together by one message (``allocations_provision``).
PROVISIONING_BATCH = 100
PROVISION_ONE = "allocations.provision_allocation"
PROVISION_MANY = "allocations.provision_allocations"


def enqueue_provisioning(allocation_ids: list[int]) -> None:
    """After the commit, one message per allocation, or per batch of them when an approval made
    several. The request is recorded in the transaction (the outbox), so a broker that is down
    at commit time delays the provisioning, never loses it."""
    if len(allocation_ids) == 1:
        enqueue_on_commit(PROVISION_ONE, allocation_ids[0])
        return
    for start in range(0, len(allocation_ids), PROVISIONING_BATCH):
        enqueue_on_commit(PROVISION_MANY, allocation_ids[start : start + PROVISIONING_BATCH])


def _lock_allocation(allocation_id: int) -> Allocation:
    # of=self: a lock on the offering row would conflict with the foreign-key checks of
    # concurrent ledger and allocation inserts (FOR KEY SHARE) and deadlock with them.
    return Allocation.objects.select_for_update(of=("self",)).select_related("offering").get(pk=allocation_id)


def allocation_provision(*, allocation_id: int) -> Allocation:
    """Provision a pending allocation in the data center and make it active.

    Idempotent and safe to run concurrently or again after a crash: every attempt locks the
    allocation and counts itself in ``attempts`` (unless a crash rolls it back whole, below),
    the backend call is idempotent on the allocation, and only an allocation still pending or
    provisioning is activated (by compare-and-set). An allocation already active, expired,
    revoked or failed is returned as it is. How many transactions depends on where the backend
    keeps its quotas:

    - elsewhere (OpenStack, Kubernetes, Slurm): the claim (pending -> provisioning) commits
      before the backend is called, so a crash during the call leaves the allocation
      provisioning, its attempt counted, for the sweeper; the activation is a second
      transaction.
    - in the portal's own database (``shares_portal_database``: the modelled cloud): claim,
      quota and activation are one transaction. A crash rolls all of it back and leaves the
      allocation pending, for the sweeper (or the redelivered message) to provision once; a
      backend error is recorded as the claim above would have been.

    A permanent backend refusal fails the allocation and releases its capacity. A transient one
    raises ``RetryLater`` (backoff 2, 4, 8… s, at most ten minutes) until the allocation has
    had ``PROVISIONING_MAX_ATTEMPTS``; then it fails too. A backend that cannot even be loaded
    (a misconfigured ``PROVISIONER_BACKEND``) fails the allocation with that reason.
    """
    try:
        backend = provisioner()
    except ImportError as error:
        return allocation_fail(allocation_id=allocation_id, reason=f"the provisioner cannot be loaded: {error}")
    if getattr(backend, "reports_back", False):
        # An external provisioning system creates the quota and reports the outcome
        # (``allocation_provisioning_report``): claim, and wait for the report.
        return _claim_for_report(allocation_id)
    if getattr(backend, "shares_portal_database", False):
        try:
            return _provision_in_one_transaction(allocation_id, backend)
        except ProvisioningError as error:
            # Everything the attempt did rolled back: record it as a claim, so that it counts.
            allocation = _claim(allocation_id)
            if allocation.state != Allocation.State.PROVISIONING:
                return allocation
            return _backend_refused(allocation, error)
    allocation = _claim(allocation_id)
    if allocation.state != Allocation.State.PROVISIONING:
        return allocation
    try:
        reference = backend.provision(allocation)
    except ProvisioningError as error:
        return _backend_refused(allocation, error)
    with transaction.atomic():
        return _activate(allocation, reference, backend, claimed_from=Allocation.State.PROVISIONING)


class NotProvisionableTogether(ProvisioningError):
    """``allocations_provision`` cannot provision this batch in one go; provision each allocation
    on its own (``allocation_provision``), which deals with the backend's error for it."""


def allocations_provision(*, allocation_ids: list[int]) -> list[Allocation]:
    """Provision many pending allocations (an approval's batch) in one transaction: claim,
    quotas and activation of all of them, the allocations locked in id order. Only with a backend
    that keeps its quotas in the portal's database and provisions in bulk (the modelled cloud):
    a crash rolls the whole batch back, as ``allocation_provision`` does for one. Allocations
    already past provisioning are returned as they are.

    Raises ``NotProvisionableTogether`` (and changes nothing) when the backend cannot, or when it
    refuses any allocation of the batch: provision each on its own then.
    """
    try:
        backend = provisioner()
    except ImportError as error:
        raise NotProvisionableTogether(str(error)) from error
    if not (getattr(backend, "shares_portal_database", False) and hasattr(backend, "provision_many")):
        raise NotProvisionableTogether("the provisioner provisions one allocation at a time")
    try:
        return _provision_together(sorted(set(allocation_ids)), backend)
    except ProvisioningError as error:
        raise NotProvisionableTogether(str(error)) from error


def provision_each(*, allocation_ids: list[int]) -> None:
    """Ask for each allocation of a batch to be provisioned on its own (its own retries)."""
    for allocation_id in allocation_ids:
        enqueue_on_commit(PROVISION_ONE, allocation_id)


@transaction.atomic
def _provision_together(allocation_ids: list[int], backend: Provisioner) -> list[Allocation]:
    allocations = list(
        Allocation.objects.select_for_update(of=("self",))
        .select_related("offering")
        .filter(pk__in=allocation_ids)
        .order_by("pk")
    )
    claimed = [allocation for allocation in allocations if allocation.is_provisionable]
    if not claimed:
        return allocations
    claimed_from = {allocation.pk: allocation.state for allocation in claimed}
    for allocation in claimed:
        allocation.attempts += 1
        allocation.state = Allocation.State.PROVISIONING  # what the backend sees; saved as active below
    references = backend.provision_many(claimed)  # type: ignore[attr-defined]
    now = timezone.now()
    for allocation in claimed:
        allocation.state, allocation.state_changed_at = Allocation.State.ACTIVE, now
        allocation.external_ref, allocation.last_error = references[allocation.pk], ""
    data_version.changed()
    # The rows are locked and were provisionable: no compare-and-set needed.
    Allocation.objects.bulk_update(claimed, ["state", "state_changed_at", "external_ref", "last_error", "attempts"])
    AllocationTransition.objects.bulk_create(
        AllocationTransition(allocation=allocation, from_state=from_state, to_state=to_state, created_at=now)
        for allocation in claimed
        for from_state, to_state in _activation_steps(claimed_from[allocation.pk])
    )
    return allocations


def _activation_steps(claimed_from: str) -> list[tuple[str, str]]:
    """The history of an activation: pending -> provisioning too when claimed in the same transaction."""
    steps = [(Allocation.State.PROVISIONING.value, Allocation.State.ACTIVE.value)]
    if claimed_from == Allocation.State.PENDING:
        steps.insert(0, (Allocation.State.PENDING.value, Allocation.State.PROVISIONING.value))
    return steps


@transaction.atomic
def _claim(allocation_id: int) -> Allocation:
    """pending -> provisioning, or one more attempt of an allocation provisioning."""
    allocation = _lock_allocation(allocation_id)
    if allocation.is_provisionable:
        allocation.attempts += 1
        if allocation.state == Allocation.State.PENDING:
            previous = allocation.state
            allocation.state = Allocation.State.PROVISIONING
            allocation.state_changed_at = timezone.now()
            allocation.save(update_fields=["state", "state_changed_at", "attempts"])
            AllocationTransition.objects.create(allocation=allocation, from_state=previous, to_state=allocation.state)
        else:
            allocation.save(update_fields=["attempts"])
    return allocation


@transaction.atomic
def _claim_for_report(allocation_id: int) -> Allocation:
    """pending -> provisioning, once: an allocation already provisioning waits for its report, so
    the sweeper's re-drive changes nothing (no attempt is counted for a wait)."""
    allocation = _lock_allocation(allocation_id)
    if allocation.state == Allocation.State.PENDING:
        allocation.attempts += 1
        allocation.state = Allocation.State.PROVISIONING
        allocation.state_changed_at = timezone.now()
        allocation.save(update_fields=["state", "state_changed_at", "attempts"])
        AllocationTransition.objects.create(
            allocation=allocation, from_state=Allocation.State.PENDING, to_state=allocation.state
        )
    return allocation


@transaction.atomic
def _provision_in_one_transaction(allocation_id: int, backend: Provisioner) -> Allocation:
    allocation = _lock_allocation(allocation_id)
    if not allocation.is_provisionable:
        return allocation
    claimed_from = allocation.state
    allocation.attempts += 1
    allocation.state = Allocation.State.PROVISIONING  # what the backend sees; saved as active below
    reference = backend.provision(allocation)
    return _activate(allocation, reference, backend, claimed_from=claimed_from, attempts=allocation.attempts)


def _activate(
    allocation: Allocation,
    reference: str,
    backend: Provisioner,
    *,
    claimed_from: str,
    actor: User | None = None,
    **fields: object,
) -> Allocation:
    """``claimed_from`` (provisioning, or pending within one transaction) -> active, by one
    conditional UPDATE, with the history of each step. An allocation that left that state
    meanwhile is returned as it now is; if it was revoked or failed, the quota just made for it
    is removed after the commit."""
    now = timezone.now()
    activated = Allocation.objects.filter(pk=allocation.pk, state=claimed_from).update(
        state=Allocation.State.ACTIVE, external_ref=reference, last_error="", state_changed_at=now, **fields
    )
    if not activated:
        current = Allocation.objects.select_related("offering").get(pk=allocation.pk)
        if not current.holds_capacity:
            transaction.on_commit(lambda: backend.deprovision(current), robust=True)
        return current
    AllocationTransition.objects.bulk_create(
        AllocationTransition(
            allocation=allocation, actor=actor, from_state=from_state, to_state=to_state, created_at=now
        )
        for from_state, to_state in _activation_steps(claimed_from)
    )
    data_version.changed()
    allocation.state, allocation.state_changed_at = Allocation.State.ACTIVE, now
    allocation.external_ref, allocation.last_error = reference, ""
    return allocation


def allocations_sync_service_periods(*, today: date | None = None) -> int:
    """Bring the backend's quotas to today's side of each service period, for a backend that
    enforces periods itself (Slurm: an account is disabled before its first day and after its
    last, and the account of an allocation that ended is removed if its removal failed). A
    backend without ``sync_service_periods`` needs nothing. Idempotent: the beat runs it hourly.
    Returns how many quotas changed."""
    sync = getattr(provisioner(), "sync_service_periods", None)
    if sync is None:
        return 0
    holding = Allocation.objects.filter(state__in=HOLDING_STATES).select_related("offering").order_by("pk")
    changed: int = sync(list(holding), today or timezone.localdate())
    return changed


def _backend_refused(allocation: Allocation, error: ProvisioningError) -> Allocation:
    """The retry policy: a transient error is noted, and retried later until the allocation has
    had ``PROVISIONING_MAX_ATTEMPTS``; any other error, or the last attempt, fails the
    allocation and releases its capacity."""
    if not isinstance(error, TransientProvisioningError):
        return allocation_fail(allocation_id=allocation.pk, reason=str(error))
    if allocation.attempts >= settings.PROVISIONING_MAX_ATTEMPTS:
        return allocation_fail(
            allocation_id=allocation.pk, reason=f"gave up after {allocation.attempts} attempts: {error}"
        )
    Allocation.objects.filter(pk=allocation.pk).update(last_error=str(error)[:2000])
    # Exponential backoff: 2, 4, 8… seconds, at most ten minutes.
    raise RetryLater(str(error), countdown=min(2**allocation.attempts, 600)) from error


# --- Reports of an external provisioning system -------------------------------------------------

PROVISIONED = "provisioned"
FAILED = "failed"
OUTCOMES = (PROVISIONED, FAILED)


class ReportRefused(DomainError):
    """A provisioning report that does not fit the allocation as it is now: another state than
    the one the report expects, an allocation already ended, or a report that contradicts an
    earlier one. ``current_state`` is the allocation's state (nothing was changed)."""

    def __init__(self, message: str, *, current_state: str):
        super().__init__(message)
        self.current_state = current_state


@transaction.atomic
def allocation_provisioning_report(
    *,
    actor: User | None,
    allocation_id: int,
    outcome: str,
    expected_state: str,
    external_ref: str = "",
    reason: str = "",
) -> tuple[Allocation, bool]:
    """An external provisioning system reports that it created the allocation's quota
    (``provisioned``, with the quota's ``external_ref``) or could not (``failed``, with a
    ``reason``).

    Precondition: the allocation is in ``expected_state`` (the state the provisioning system read
    from the feed), and that state is pending or provisioning. Effect: provisioned -> active, with
    the reference and the history steps in the actor's name; failed -> failed, its capacity
    released (``allocation_fail``). Idempotent: the same report again, after it was applied (the
    allocation active with that reference, or failed), changes nothing and returns
    ``(allocation, False)``; ``(allocation, True)`` when this report changed it. Raises
    ``ReportRefused`` (nothing changed) for any other state, and ``Allocation.DoesNotExist``.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown provisioning outcome {outcome!r}")
    allocation = _lock_allocation(allocation_id)
    state, reference = allocation.state, external_ref.strip()[:200]
    if not getattr(provisioner_class(settings.PROVISIONER_BACKEND), "reports_back", False):
        # The portal's own provisioner creates the quotas: a report would activate an allocation
        # whose quota nobody made.
        raise ReportRefused(
            _("This portal provisions allocations itself: it does not take provisioning reports."),
            current_state=state,
        )
    if outcome == PROVISIONED and state == Allocation.State.ACTIVE and allocation.external_ref == reference:
        return allocation, False
    if outcome == FAILED and state == Allocation.State.FAILED:
        return allocation, False
    if state != expected_state:
        raise ReportRefused(
            _("The allocation is %(state)s, not %(expected)s as the report expects.")
            % {"state": allocation.get_state_display(), "expected": _state_name(expected_state)},
            current_state=state,
        )
    if not allocation.is_provisionable:
        raise ReportRefused(
            _("The allocation is %(state)s: it is no longer waiting to be provisioned.")
            % {"state": allocation.get_state_display()},
            current_state=state,
        )
    if outcome == FAILED:
        if not reason.strip():
            raise ReportRefused(_("A failure report needs a reason."), current_state=state)
        return allocation_fail(allocation_id=allocation.pk, reason=reason, actor=actor), True
    if not reference:
        raise ReportRefused(_("A provisioned report needs the quota's external reference."), current_state=state)
    allocation.attempts += 1
    activated = _activate(
        allocation,
        external_ref.strip()[:200],
        provisioner(),
        claimed_from=state,
        actor=actor,
        attempts=allocation.attempts,
    )
    return activated, True


def _state_name(state: str) -> str:
    return str(dict(Allocation.State.choices).get(state, state))
