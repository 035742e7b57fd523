"""The allocation engine: decisions that grant capacity, provisioning, release, the pool's phases.

Every state change of an application decision or an allocation happens here, in a transaction,
on locked rows, with a history row. What fits is decided on the ledger rows while they are
locked (so the figures cannot change underneath), and the capacity is taken by the statement
that creates or changes the allocation: the ledger's triggers move it and its CHECK refuses
what does not fit, whatever Python decided (see allocations/capacity.py, migrations 0003 and
0005). Lock order, everywhere: applications (by id), allocation, ledger rows by (offering, day).
"""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from allocations import capacity
from allocations.models import Allocation, AllocationTransition, CapacityLedger, CapacityPhase, Offering
from allocations.provisioning import Provisioner, ProvisioningError, TransientProvisioningError, provisioner
from applications.models import Application, ApplicationItem, ApplicationTransition, Call
from applications.services import ApplicationError, decision_refusals, ensure_may_decide, record_transition

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


def _lock_for_decision(application_ids: list[int]) -> dict[int, Application]:
    """Lock applications in id order (the order every batch takes), with their items."""
    items = ApplicationItem.objects.select_related("offering").order_by("pk")
    return {
        application.pk: application
        for application in Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization")
        .filter(pk__in=application_ids)
        .order_by("pk")
        .prefetch_related(Prefetch("items", queryset=items))
    }


Grant = tuple[ApplicationItem, int]  # an item and the quantity granted of it


def _grants(application: Application, grants: dict[int, int] | None, reason: str) -> list[Grant]:
    """The items of a locked, decidable application with their granted quantities (all of them
    when ``grants`` is None); raises ``ApplicationError`` for a grant that cannot be made."""
    if application.status not in DECIDABLE:
        raise ApplicationError(_("Only a submitted or wait-listed application can be approved."))
    items = list(application.items.all())
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
    return granted


def _periods(granted: list[Grant]) -> list[tuple[int, date, date]]:
    return [(item.offering_id, item.starts_on, item.ends_on) for item, _quantity in granted]


def _take(free: dict[tuple[int, date], int], granted: list[Grant]) -> list[Shortfall]:
    """Take ``granted`` out of ``free`` (units per offering and day, as ``capacity.lock_ledger``
    gives them) if all of it fits; otherwise take nothing and say what does not fit."""
    left: dict[tuple[int, date], int] = {}
    shortfalls = []
    for item, quantity in granted:
        period = capacity.days(item.starts_on, item.ends_on)
        keys = [(item.offering_id, day) for day in period]
        available, day = min((left.get(key, free[key]), key[1]) for key in keys)
        if available < quantity:
            shortfalls.append(Shortfall(item.offering, quantity, available, day))
        for key in keys:
            left[key] = left.get(key, free[key]) - quantity
    if not shortfalls:
        free.update(left)
    return shortfalls


def _record_decisions(*, actor: User | None, reason: str, applications: list[Application]) -> None:
    """Mark locked applications approved, with their history rows; the decision e-mails go
    after the commit."""
    now = timezone.now()
    Application.objects.filter(pk__in=[application.pk for application in applications]).update(
        status=Application.Status.APPROVED, updated_at=now
    )
    transitions = ApplicationTransition.objects.bulk_create(
        ApplicationTransition(
            application=application,
            actor=actor,
            from_status=application.status,
            to_status=Application.Status.APPROVED,
            reason=reason,
            created_at=now,
        )
        for application in applications
    )
    for application in applications:
        application.status, application.updated_at = Application.Status.APPROVED, now
    for transition in transitions:
        _enqueue_decision_email(transition)


def _create_allocations(
    *, actor: User | None, reason: str, approvals: list[tuple[Application, list[Grant]]]
) -> list[Allocation]:
    """Insert the pending allocations of approved grants, by one statement (so the ledger
    trigger moves each day once for all of them), with their history; provisioning goes after
    the commit. The ledger rows are locked, with room for every grant."""
    now = timezone.now()
    allocations = Allocation.objects.bulk_create(
        Allocation(
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
        for application, granted in approvals
        for item, quantity in granted
    )
    AllocationTransition.objects.bulk_create(
        AllocationTransition(
            allocation=allocation, actor=actor, from_state="", to_state=allocation.state, reason=reason, created_at=now
        )
        for allocation in allocations
    )
    _enqueue_provisioning([allocation.pk for allocation in allocations])
    return allocations


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
    locked = _lock_for_decision([application.pk])
    if application.pk not in locked:
        raise Application.DoesNotExist(f"application {application.pk} does not exist")
    application = locked[application.pk]
    ensure_may_decide(actor, application)
    granted = _grants(application, grants, reason)
    # The decision first, the capacity last, so that the hot ledger rows stay locked for as few
    # statements as possible; if the grant does not fit, the whole transaction rolls back.
    _record_decisions(actor=actor, reason=reason, applications=[application])
    free = capacity.lock_ledger(_periods(granted))
    shortfalls = _take(free, granted)
    if shortfalls:
        raise DoesNotFit(shortfalls)
    return _create_allocations(actor=actor, reason=reason, approvals=[(application, granted)])


@dataclass(frozen=True)
class Approvals:
    """What ``applications_approve`` did: the applications approved (in the order given) and
    their allocations, and the applications refused with the reason (each keeps its place)."""

    approved: list[Application]
    allocations: list[Allocation]
    refused: list[tuple[Application, ApplicationError]]


@transaction.atomic
def applications_approve(
    *, actor: User | None, applications: list[Application], reason: str = "", limit: int | None = None
) -> Approvals:
    """Approve in full, in the order given (rank order), each application that fits, until
    ``limit`` are approved; refuse the others with the reason and go on.

    The batch form of ``application_approve`` (filling a call by priority, offering freed
    capacity to a wait-list), with the same checks and the same effect for each application
    approved, all in one transaction: the applications are locked in id order, then the
    ledger rows of all their periods in (offering, day) order; what fits is decided on the
    locked figures, in the order given, and the allocations are inserted by one statement, so
    the ledger moves once per offering and day for the whole batch. An application that does
    not fit is refused with ``DoesNotFit`` and does not stop the ones after it. Not idempotent:
    a second call refuses the applications already approved.
    """
    locked = _lock_for_decision([application.pk for application in applications])
    # In the order given; one deleted meanwhile has nothing left to decide.
    applications = [locked[application.pk] for application in applications if application.pk in locked]
    refusals = decision_refusals(actor, applications)
    candidates: list[tuple[Application, list[Grant]]] = []
    refused: list[tuple[Application, ApplicationError]] = []
    for application in applications:
        if application.pk in refusals:
            refused.append((application, refusals[application.pk]))
            continue
        try:
            candidates.append((application, _grants(application, None, reason)))
        except ApplicationError as error:
            refused.append((application, error))
    free = capacity.lock_ledger([period for _application, granted in candidates for period in _periods(granted)])
    approvals: list[tuple[Application, list[Grant]]] = []
    for application, granted in candidates:
        if limit is not None and len(approvals) >= limit:
            break
        shortfalls = _take(free, granted)
        if shortfalls:
            refused.append((application, DoesNotFit(shortfalls)))
        else:
            approvals.append((application, granted))
    allocations = []
    if approvals:
        _record_decisions(actor=actor, reason=reason, applications=[application for application, _granted in approvals])
        allocations = _create_allocations(actor=actor, reason=reason, approvals=approvals)
    order = {application.pk: position for position, application in enumerate(applications)}
    refused.sort(key=lambda pair: order[pair[0].pk])
    return Approvals([application for application, _granted in approvals], allocations, refused)


# Allocations provisioned together by one message (``allocations_provision``).
PROVISIONING_BATCH = 100


def _enqueue_provisioning(allocation_ids: list[int]) -> None:
    """After the commit, one message per allocation, or per batch of them when an approval made
    several. If the broker is down the approval still stands: the sweeper re-drives it later."""
    from allocations.tasks import provision_allocation, provision_allocations

    if len(allocation_ids) == 1:
        transaction.on_commit(lambda: _send_quietly(provision_allocation, allocation_ids[0]))
        return
    for start in range(0, len(allocation_ids), PROVISIONING_BATCH):
        batch = allocation_ids[start : start + PROVISIONING_BATCH]
        transaction.on_commit(lambda batch=batch: _send_quietly(provision_allocations, batch))


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


PROVISIONABLE = (Allocation.State.PENDING, Allocation.State.PROVISIONING)


def allocation_provision(*, allocation_id: int) -> Allocation:
    """Provision a pending allocation in the cloud and make it active.

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

    Raises ``TransientProvisioningError`` for the caller to retry, its attempt counted; a
    permanent backend refusal fails the allocation and releases its capacity.
    """
    backend = provisioner()
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
    backend = provisioner()
    if not (getattr(backend, "shares_portal_database", False) and hasattr(backend, "provision_many")):
        raise NotProvisionableTogether("the provisioner provisions one allocation at a time")
    try:
        return _provision_together(sorted(set(allocation_ids)), backend)
    except ProvisioningError as error:
        raise NotProvisionableTogether(str(error)) from error


@transaction.atomic
def _provision_together(allocation_ids: list[int], backend: Provisioner) -> list[Allocation]:
    allocations = list(
        Allocation.objects.select_for_update(of=("self",))
        .select_related("offering")
        .filter(pk__in=allocation_ids)
        .order_by("pk")
    )
    claimed = [allocation for allocation in allocations if allocation.state in PROVISIONABLE]
    if not claimed:
        return allocations
    claimed_from = {allocation.pk: allocation.state for allocation in claimed}
    for allocation in claimed:
        allocation.attempts += 1
        allocation.state = Allocation.State.PROVISIONING  # what the backend sees; saved as active below
    references = backend.provision_many(claimed)
    now = timezone.now()
    for allocation in claimed:
        allocation.state, allocation.state_changed_at = Allocation.State.ACTIVE, now
        allocation.external_ref, allocation.last_error = references[allocation.pk], ""
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
    steps = [(Allocation.State.PROVISIONING, Allocation.State.ACTIVE)]
    if claimed_from == Allocation.State.PENDING:
        steps.insert(0, (Allocation.State.PENDING, Allocation.State.PROVISIONING))
    return steps


@transaction.atomic
def _claim(allocation_id: int) -> Allocation:
    """pending -> provisioning, or one more attempt of an allocation provisioning."""
    allocation = _lock_allocation(allocation_id)
    if allocation.state in PROVISIONABLE:
        allocation.attempts += 1
        if allocation.state == Allocation.State.PENDING:
            _move(allocation, Allocation.State.PROVISIONING, fields=["attempts"])
        else:
            allocation.save(update_fields=["attempts"])
    return allocation


@transaction.atomic
def _provision_in_one_transaction(allocation_id: int, backend: Provisioner) -> Allocation:
    allocation = _lock_allocation(allocation_id)
    if allocation.state not in PROVISIONABLE:
        return allocation
    claimed_from = allocation.state
    allocation.attempts += 1
    allocation.state = Allocation.State.PROVISIONING  # what the backend sees; saved as active below
    reference = backend.provision(allocation)
    return _activate(allocation, reference, backend, claimed_from=claimed_from, attempts=allocation.attempts)


def _activate(
    allocation: Allocation, reference: str, backend: Provisioner, *, claimed_from: str, **fields
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
            transaction.on_commit(lambda: backend.deprovision(current))
        return current
    AllocationTransition.objects.bulk_create(
        AllocationTransition(allocation=allocation, from_state=from_state, to_state=to_state, created_at=now)
        for from_state, to_state in _activation_steps(claimed_from)
    )
    allocation.state, allocation.state_changed_at = Allocation.State.ACTIVE, now
    allocation.external_ref, allocation.last_error = reference, ""
    return allocation


def _backend_refused(allocation: Allocation, error: ProvisioningError) -> Allocation:
    """A transient error is noted and raised for the caller to retry; any other fails the
    allocation and releases its capacity."""
    if isinstance(error, TransientProvisioningError):
        Allocation.objects.filter(pk=allocation.pk).update(last_error=str(error)[:2000])
        raise error
    return allocation_fail(allocation_id=allocation.pk, reason=str(error))


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

    Stops at the call's number of organisations to select. One batch approval (one
    transaction); an application that does not fit is skipped, keeping its place.
    """
    from applications.selectors import ranked

    selected = Application.objects.filter(call=call, status=Application.Status.APPROVED).count()
    if selected >= call.selection_target:
        return []
    waiting = list(ranked(Application.objects.filter(call=call, status=Application.Status.WAITLISTED)))
    if not waiting:
        return []
    return applications_approve(
        actor=None, applications=waiting, reason=_("Capacity became free."), limit=call.selection_target - selected
    ).approved


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
    """Approve in rank order what fits, as one batch (``applications_approve``: one
    transaction), until the selection target or the capacity is reached. Returns the approved
    applications and those refused with the reason."""
    plan = fill_by_priority_plan(call=call)
    if not plan.approve:
        return [], []
    result = applications_approve(actor=actor, applications=plan.approve, reason=_("Filled by priority."))
    # The pool may have changed since the plan: what no longer fits is refused and keeps its place.
    return result.approved, [(application, str(error)) for application, error in result.refused]


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
