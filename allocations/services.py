"""The allocation engine: decisions that grant capacity, provisioning, release, the pool's phases.

Every state change of an application decision or an allocation happens here, in a transaction,
on locked rows, with a history row. Capacity is never checked "then" taken: it is taken by the
statement that creates or changes the allocation, and the ledger's CHECK refuses what does not
fit (see allocations/capacity.py and migration 0003). Lock order, everywhere: application,
allocation, ledger rows by (offering, day).
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocations import capacity
from allocations.models import Allocation, AllocationTransition, CapacityLedger, CapacityPhase, Offering
from allocations.provisioning import ProvisioningError, TransientProvisioningError, provisioner
from applications.models import Application, ApplicationItem, Call
from applications.services import ApplicationError, ensure_may_decide, record_transition

logger = logging.getLogger(__name__)

DECIDABLE = (Application.Status.SUBMITTED, Application.Status.WAITLISTED)


class DoesNotFit(ApplicationError):
    """The grant needs more than the pool has free in its period."""

    def __init__(self, shortfalls: list["Shortfall"]):
        self.shortfalls = shortfalls
        super().__init__(" ".join(shortfall.message for shortfall in shortfalls))


@dataclass(frozen=True)
class Shortfall:
    offering: Offering
    wanted: int
    free: int
    day: date

    @property
    def message(self) -> str:
        return _("%(offering)s: %(wanted)s %(unit)s wanted, only %(free)s free on %(day)s.") % {
            "offering": self.offering.name,
            "wanted": self.wanted,
            "unit": self.offering.get_unit_display(),
            "free": max(self.free, 0),
            "day": self.day.isoformat(),
        }


# --- Decisions ----------------------------------------------------------------------------------


def _lock_application(application: Application) -> Application:
    # of=self: lock the application only, not the call and organisation rows it joins.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization")
        .get(pk=application.pk)
    )


def _shortfalls(grants: list[tuple[ApplicationItem, int]]) -> list[Shortfall]:
    shortfalls = []
    for item, quantity in grants:
        free = capacity.availability(item.offering_id, item.starts_on, item.ends_on)
        if free.free < quantity:
            shortfalls.append(Shortfall(item.offering, quantity, free.free, free.tightest_day))
    return shortfalls


@transaction.atomic
def application_approve(
    *, actor: User | None, application: Application, grants: dict[int, int] | None = None, reason: str = ""
) -> list[Allocation]:
    """Approve in full (``grants`` None) or in part (item id -> granted quantity, 0 to skip).

    Precondition: the application is submitted or wait-listed. Effect: one pending allocation
    per granted item, holding its capacity from this commit on, and provisioning enqueued after
    the commit. Raises ``DoesNotFit`` (nothing changed) when the pool cannot take the grant; a
    partial grant needs a reason. Not idempotent: a second call finds the application approved.
    """
    application = _lock_application(application)
    ensure_may_decide(actor, application)
    if application.status not in DECIDABLE:
        raise ApplicationError(_("Only a submitted or wait-listed application can be approved."))
    items = list(application.items.select_related("offering").order_by("pk"))
    grants = grants if grants is not None else {item.pk: item.quantity for item in items}
    granted = [(item, int(grants.get(item.pk, 0))) for item in items]
    for item, quantity in granted:
        if quantity < 0 or quantity > item.quantity:
            raise ApplicationError(
                _("%(offering)s: grant between 0 and the %(requested)s requested.")
                % {"offering": item.offering.name, "requested": item.quantity}
            )
    granted = [(item, quantity) for item, quantity in granted if quantity > 0]
    if not granted:
        raise ApplicationError(_("Grant at least one resource, or reject the application."))
    partial = len(granted) < len(items) or any(quantity < item.quantity for item, quantity in granted)
    if partial and not reason.strip():
        raise ApplicationError(_("A partial approval needs a reason."))

    capacity.lock_ledger([(item.offering_id, item.starts_on, item.ends_on) for item, _quantity in granted])
    now = timezone.now()
    try:
        with transaction.atomic():
            allocations = [
                Allocation.objects.create(
                    organization_id=application.organization_id,
                    application_item=item,
                    offering_id=item.offering_id,
                    quantity=quantity,
                    starts_on=item.starts_on,
                    ends_on=item.ends_on,
                    state=Allocation.State.PENDING,
                    created_at=now,
                    state_changed_at=now,
                )
                for item, quantity in granted
            ]
    except IntegrityError:
        # The ledger's CHECK refused: say which offering is short, and by how much.
        raise DoesNotFit(_shortfalls(granted)) from None
    AllocationTransition.objects.bulk_create(
        AllocationTransition(
            allocation=allocation, actor=actor, from_state="", to_state=allocation.state, reason=reason
        )
        for allocation in allocations
    )
    previous = application.status
    application.status = Application.Status.APPROVED
    application.save(update_fields=["status", "updated_at"])
    transition = record_transition(application, actor=actor, from_status=previous, reason=reason)
    _enqueue_provisioning([allocation.pk for allocation in allocations])
    _enqueue_decision_email(transition)
    return allocations


def _enqueue_provisioning(allocation_ids: list[int]) -> None:
    from allocations.tasks import provision_allocation

    for allocation_id in allocation_ids:
        # If the broker is down the approval still stands: the sweeper re-drives it later.
        transaction.on_commit(lambda pk=allocation_id: _send_quietly(provision_allocation, pk))


def _enqueue_decision_email(transition) -> None:
    from applications.tasks import send_decision_email

    transaction.on_commit(lambda: _send_quietly(send_decision_email, transition.pk))


def _send_quietly(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:  # the broker is unreachable; the row is the job, the message only a nudge
        logger.warning("could not enqueue %s%r; the sweeper will re-drive it", task.name, args, exc_info=True)


@transaction.atomic
def application_waitlist(*, actor: User | None, application: Application, reason: str = "") -> Application:
    """Put a submitted application on the wait-list; its rank (score, submission time) is kept."""
    application = _lock_application(application)
    ensure_may_decide(actor, application)
    if application.status != Application.Status.SUBMITTED:
        raise ApplicationError(_("Only a submitted application can be wait-listed."))
    application.status = Application.Status.WAITLISTED
    application.save(update_fields=["status", "updated_at"])
    _enqueue_decision_email(
        record_transition(application, actor=actor, from_status=Application.Status.SUBMITTED, reason=reason)
    )
    return application


@transaction.atomic
def application_reject(*, actor: User | None, application: Application, reason: str) -> Application:
    """Reject a submitted or wait-listed application; the applicant is told the reason."""
    if not reason.strip():
        raise ApplicationError(_("A rejection needs a reason."))
    application = _lock_application(application)
    ensure_may_decide(actor, application)
    if application.status not in DECIDABLE:
        raise ApplicationError(_("Only a submitted or wait-listed application can be rejected."))
    previous = application.status
    application.status = Application.Status.REJECTED
    application.save(update_fields=["status", "updated_at"])
    _enqueue_decision_email(record_transition(application, actor=actor, from_status=previous, reason=reason))
    return application


# --- Allocations --------------------------------------------------------------------------------


def _lock_allocation(allocation_id: int) -> Allocation:
    # of=self: a lock on the offering row would conflict with the foreign-key checks of
    # concurrent ledger and allocation inserts (FOR KEY SHARE) and deadlock with them.
    return Allocation.objects.select_for_update(of=("self",)).select_related("offering").get(pk=allocation_id)


def _move(allocation: Allocation, to_state: str, *, actor: User | None = None, reason: str = "", fields=()) -> None:
    previous = allocation.state
    allocation.state = to_state
    allocation.state_changed_at = timezone.now()
    allocation.save(update_fields=["state", "state_changed_at", *fields])
    AllocationTransition.objects.create(
        allocation=allocation, actor=actor, from_state=previous, to_state=to_state, reason=reason
    )


def allocation_provision(*, allocation_id: int) -> Allocation:
    """Provision a pending allocation in the cloud and make it active.

    Idempotent and safe to run concurrently or again after a crash: the first step claims the
    allocation (pending -> provisioning) under a row lock; the backend call is idempotent on the
    allocation; the last step activates only an allocation still provisioning. An allocation
    already active, expired, revoked or failed is returned as it is. Raises
    ``TransientProvisioningError`` for the caller to retry; a permanent backend refusal fails
    the allocation and releases its capacity.
    """
    with transaction.atomic():
        allocation = _lock_allocation(allocation_id)
        if allocation.state not in (Allocation.State.PENDING, Allocation.State.PROVISIONING):
            return allocation
        allocation.attempts += 1
        if allocation.state == Allocation.State.PENDING:
            _move(allocation, Allocation.State.PROVISIONING, fields=["attempts"])
        else:
            allocation.save(update_fields=["attempts"])
    try:
        reference = provisioner().provision(allocation)
    except TransientProvisioningError as error:
        Allocation.objects.filter(pk=allocation_id).update(last_error=str(error)[:2000])
        raise
    except ProvisioningError as error:
        return allocation_fail(allocation_id=allocation_id, reason=str(error))
    with transaction.atomic():
        allocation = _lock_allocation(allocation_id)
        if allocation.state != Allocation.State.PROVISIONING:
            if not allocation.holds_capacity:
                # Revoked or failed while the backend worked: remove the quota it just made.
                transaction.on_commit(lambda: provisioner().deprovision(allocation))
            return allocation
        allocation.external_ref = reference
        allocation.last_error = ""
        _move(allocation, Allocation.State.ACTIVE, fields=["external_ref", "last_error"])
    return allocation


@transaction.atomic
def allocation_fail(*, allocation_id: int, reason: str) -> Allocation:
    """Give up provisioning: the allocation is failed and its capacity released. Idempotent."""
    allocation = _lock_allocation(allocation_id)
    if allocation.state not in (Allocation.State.PENDING, Allocation.State.PROVISIONING):
        return allocation
    allocation.last_error = reason[:2000]
    _move(allocation, Allocation.State.FAILED, reason=reason[:2000], fields=["last_error"])
    _after_release(allocation)
    return allocation


@transaction.atomic
def allocation_release(*, actor: User | None, allocation: Allocation, to_state: str, reason: str = "") -> Allocation:
    """End an allocation: ``expired`` at its end, ``revoked`` by the operator or on withdrawal.

    Its capacity returns to the pool in the same statement; the cloud quota is removed after
    the commit, and the freed capacity is offered to wait-lists. Idempotent for an allocation
    already ended.
    """
    if to_state not in (Allocation.State.EXPIRED, Allocation.State.REVOKED):
        raise ValueError(f"cannot release to {to_state}")
    allocation = _lock_allocation(allocation.pk)
    if not allocation.holds_capacity:
        return allocation
    if to_state == Allocation.State.EXPIRED and allocation.state != Allocation.State.ACTIVE:
        raise ApplicationError(_("Only an active allocation expires."))
    _move(allocation, to_state, actor=actor, reason=reason)
    transaction.on_commit(lambda: provisioner().deprovision(allocation))
    _after_release(allocation)
    return allocation


def _after_release(allocation: Allocation) -> None:
    from allocations.tasks import offer_freed_capacity

    transaction.on_commit(lambda: _send_quietly(offer_freed_capacity))


# --- The wait-list ------------------------------------------------------------------------------


def waitlist_offer_freed_capacity(*, call: Call) -> list[Application]:
    """Approve, in rank order, the wait-listed applications of ``call`` that now fit.

    Stops at the call's number of organisations to select. Each approval is its own
    transaction; an application that does not fit is skipped, keeping its place.
    """
    from applications.selectors import ranked

    approved = []
    selected = Application.objects.filter(call=call, status=Application.Status.APPROVED).count()
    for application in ranked(Application.objects.filter(call=call, status=Application.Status.WAITLISTED)):
        if selected >= call.selection_target:
            break
        try:
            application_approve(actor=None, application=application, reason=_("Capacity became free."))
        except DoesNotFit:
            continue
        approved.append(application)
        selected += 1
    return approved


# --- Fill by priority ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FillPlan:
    """Who filling a call by priority would approve now, and what would remain free."""

    approve: list[Application]
    skipped: list[tuple[Application, list[Shortfall]]]
    remaining: dict[int, int]  # offering id -> least free units over the call's service period
    selection_left: int


def fill_by_priority_plan(*, call: Call) -> FillPlan:
    """Walk the submitted applications of ``call`` in rank order and approve, on paper, those
    that fit, until the call's selection target or the capacity runs out. Writes nothing."""
    from applications.selectors import ranked

    selected = Application.objects.filter(call=call, status=Application.Status.APPROVED).count()
    candidates = list(
        ranked(Application.objects.filter(call=call, status=Application.Status.SUBMITTED)).prefetch_related(
            "items__offering"
        )
    )
    offerings = {item.offering_id for application in candidates for item in application.items.all()}
    # Free units per offering and day over the service period, consumed as the plan grows.
    free: dict[int, dict[date, int]] = {}
    for offering_id in offerings:
        phases = capacity.phases_of(offering_id)
        reserved = dict(
            CapacityLedger.objects.filter(
                offering_id=offering_id, day__range=(call.service_starts_on, call.service_ends_on)
            ).values_list("day", "reserved")
        )
        free[offering_id] = {
            day: capacity.capacity_on(phases, day) - reserved.get(day, 0)
            for day in capacity.days(call.service_starts_on, call.service_ends_on)
        }
    approve, skipped = [], []
    left = max(call.selection_target - selected, 0)
    for application in candidates:
        if len(approve) >= left:
            break
        shortfalls = []
        for item in application.items.all():
            days = capacity.days(item.starts_on, item.ends_on)
            tightest = min(days, key=lambda day: free[item.offering_id].get(day, 0))
            available = free[item.offering_id].get(tightest, 0)
            if available < item.quantity:
                shortfalls.append(Shortfall(item.offering, item.quantity, available, tightest))
        if shortfalls:
            skipped.append((application, shortfalls))
            continue
        for item in application.items.all():
            for day in capacity.days(item.starts_on, item.ends_on):
                free[item.offering_id][day] -= item.quantity
        approve.append(application)
    remaining = {offering_id: min(by_day.values(), default=0) for offering_id, by_day in free.items()}
    return FillPlan(approve, skipped, remaining, left - len(approve))


def fill_by_priority_apply(*, actor: User, call: Call) -> tuple[list[Application], list[tuple[Application, str]]]:
    """Approve in rank order what fits, each through ``application_approve`` (its own
    transaction), until the selection target or the capacity is reached. Returns the approved
    applications and those refused with the reason."""
    plan = fill_by_priority_plan(call=call)
    approved, refused = [], []
    for application in plan.approve:
        try:
            application_approve(actor=actor, application=application, reason=_("Filled by priority."))
        except ApplicationError as error:  # the pool changed since the plan: skip, keep its place
            refused.append((application, str(error)))
            continue
        approved.append(application)
    return approved, refused


# --- The pool -----------------------------------------------------------------------------------


class PhaseConflictError(ApplicationError):
    pass


# Larger than any real pool; a phase holds it only for a moment inside capacity_phases_set.
_UNBOUNDED = 2_147_483_647


@transaction.atomic
def capacity_phases_set(*, offering: Offering, phases: list[tuple[date, int, bool, str]]) -> None:
    """Replace an offering's capacity phases: (start date, units, modelled?, note) each.

    Refused, naming the first conflicting day, when the new capacity would fall below what is
    already allocated. The ledger's capacity follows each phase row by trigger and its CHECK
    is evaluated at every statement, so the rows change in an order in which capacity never
    dips below the final figures: existing phases are first raised to an unbounded figure, new
    ones inserted unbounded, dropped ones deleted, then each lowered to its final figure.
    """
    Offering.objects.select_for_update(no_key=True).filter(pk=offering.pk).exists()
    wanted = {start: (units, modelled, note) for start, units, modelled, note in phases}
    conflicts = capacity.phase_conflicts(offering.pk, [(start, units) for start, (units, *_rest) in wanted.items()])
    if conflicts:
        raise PhaseConflictError(phase_conflict_message(offering, conflicts))
    current = CapacityPhase.objects.filter(offering=offering)
    current.update(units=_UNBOUNDED)
    existing = set(current.values_list("starts_on", flat=True))
    for start in sorted(set(wanted) - existing):
        CapacityPhase.objects.create(offering=offering, starts_on=start, units=_UNBOUNDED)
    current.exclude(starts_on__in=list(wanted)).delete()
    for start in sorted(wanted):
        units, modelled, note = wanted[start]
        CapacityPhase.objects.filter(offering=offering, starts_on=start).update(
            units=units, is_modelled=modelled, note=note
        )


def phase_conflict_message(offering: Offering, conflicts: list[capacity.PhaseConflict]) -> str:
    first = conflicts[0]
    return _(
        "%(offering)s: from %(day)s, %(reserved)s %(unit)s are already allocated but the capacity would be "
        "%(capacity)s (%(count)s conflicting period(s)). Revoke or shorten allocations first."
    ) % {
        "offering": offering.name,
        "day": first.day.isoformat(),
        "reserved": first.reserved,
        "unit": offering.get_unit_display(),
        "capacity": first.capacity,
        "count": len(conflicts),
    }


# --- Changes to a running allocation: extensions and supplements ---------------------------------
# (Imported here, not at the top, to keep this section self-contained.)
from datetime import timedelta  # noqa: E402

from allocations.models import ExpiryReminder  # noqa: E402


def _change_shortfalls(allocation: Allocation, ends_on: date, quantity: int) -> list[Shortfall]:
    """What an extension to ``ends_on`` and a raise to ``quantity`` lack, in the pool's words:
    the extra units over the current period, all the units over the added days."""
    shortfalls = []
    added = quantity - allocation.quantity
    if added > 0:
        free = capacity.availability(allocation.offering_id, allocation.starts_on, allocation.ends_on)
        if free.free < added:
            shortfalls.append(Shortfall(allocation.offering, added, free.free, free.tightest_day))
    if ends_on > allocation.ends_on:
        free = capacity.availability(allocation.offering_id, allocation.ends_on + timedelta(days=1), ends_on)
        if free.free < quantity:
            shortfalls.append(Shortfall(allocation.offering, quantity, free.free, free.tightest_day))
    return shortfalls


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

    The UPDATE moves the ledger in the same statement (the trigger of migration 0003 takes the
    old period and quantity off and puts the new ones on; missing ledger days are created
    first, under the usual locks), so the ledger's CHECK decides: what does not fit raises
    ``DoesNotFit`` naming the short day and leaves the allocation unchanged. The quantity
    counts over the whole period, as the ledger records one quantity per allocation. Expiry
    reminders start again for a later end. Writes a history row (the state is unchanged). Not
    idempotent on its own: the caller holds the request that asks for the change.
    """
    allocation = _lock_allocation(allocation.pk)
    if not allocation.holds_capacity:
        raise ApplicationError(_("Only an allocation that holds capacity can be extended or supplemented."))
    new_ends_on = ends_on or allocation.ends_on
    new_quantity = quantity or allocation.quantity
    if new_ends_on < allocation.ends_on or new_quantity < allocation.quantity:
        raise ApplicationError(_("An extension or supplement cannot shorten or reduce an allocation."))
    if new_ends_on < timezone.localdate():
        raise ApplicationError(_("The new end date has already passed."))
    if (new_ends_on, new_quantity) == (allocation.ends_on, allocation.quantity):
        return allocation
    capacity.lock_ledger([(allocation.offering_id, allocation.starts_on, new_ends_on)])
    try:
        with transaction.atomic():
            Allocation.objects.filter(pk=allocation.pk).update(ends_on=new_ends_on, quantity=new_quantity)
    except IntegrityError:
        raise DoesNotFit(_change_shortfalls(allocation, new_ends_on, new_quantity)) from None
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
    return allocation


def allocation_quota_sync(*, allocation_id: int) -> Allocation:
    """Bring the cloud quota of an active allocation to its current quantity (after a
    supplement). Idempotent: the backend sets the quota to the allocation's figures; a backend
    without ``resize`` keeps quotas per allocation and needs nothing. Raises
    ``TransientProvisioningError`` for the caller to retry."""
    allocation = Allocation.objects.select_related("offering").get(pk=allocation_id)
    resize = getattr(provisioner(), "resize", None)
    if allocation.state == Allocation.State.ACTIVE and resize is not None:
        resize(allocation)
    return allocation
