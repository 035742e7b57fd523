"""Decisions on applications: approve (in full, in part, many at once), wait-list, reject.

Every decision happens in a transaction, on locked applications, with a history row and the
decision e-mail recorded in the same transaction (``allocations.emails``), so that the
applicant is told if and only if the decision stands. An approval grants capacity: what fits is
decided on the ledger rows while they are locked (``pool.capacity.lock_ledger`` and ``fit``),
and the capacity is taken by the statement that inserts the allocations: the ledger's triggers
move it and its CHECK refuses what does not fit, whatever Python decided.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import User
from allocations import emails
from allocations.models import Allocation, AllocationTransition
from allocations.services.provisioning import enqueue_provisioning
from applications.models import Application, ApplicationItem, ApplicationTransition
from applications.selectors import members_to_notify_of
from applications.services import (
    ApplicationError,
    decision_refusals,
    ensure_may_decide,
    lock_rankings,
    record_transition,
)
from pool.capacity import DoesNotFit, Need, fit, lock_ledger
from portal import data_version, formats
from portal.errors import DomainError

Grant = tuple[ApplicationItem, int]  # an item and the quantity granted of it


def _lock_for_decision(application_ids: list[int]) -> dict[int, Application]:
    """Lock applications in id order (the order every batch takes), with their items. A batch
    locks their calls' rankings first (``lock_rankings``, the order the rank triggers lock in):
    holding some applications while waiting for another, whose rank a recomputation has just
    rewritten, it could hold one that the recomputation still has to rewrite. One application
    waits for nothing else of the call, so a single decision does not queue on the call."""
    if len(set(application_ids)) > 1:
        lock_rankings(Application.objects.filter(pk__in=application_ids).values_list("call_id", flat=True))
    items = ApplicationItem.objects.select_related("offering").order_by("pk")
    return {
        application.pk: application
        for application in Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization")
        .filter(pk__in=application_ids)
        .order_by("pk")
        .prefetch_related(Prefetch("items", queryset=items))
    }


def _lock_one(application: Application) -> Application:
    # of=self: lock the application only, not the call and organisation rows it joins.
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization")
        .get(pk=application.pk)
    )


def _grants(application: Application, grants: dict[int, int] | None, reason: str) -> list[Grant]:
    """The items of a locked, decidable application with their granted quantities (all of them
    when ``grants`` is None); raises ``ApplicationError`` for a grant that cannot be made."""
    if not application.is_decidable:
        raise ApplicationError(_("Only a submitted or wait-listed application can be approved."))
    items = list(application.items.all())
    wanted = grants if grants is not None else {item.pk: item.quantity for item in items}
    granted = [(item, int(wanted.get(item.pk, 0))) for item in items]
    for item, quantity in granted:
        if quantity < 0 or quantity > item.quantity:
            raise ApplicationError(
                _("%(offering)s: grant between 0 and the %(requested)s requested.")
                % {"offering": item.offering.name, "requested": formats.figure(item.quantity)}
            )
    granted = [(item, quantity) for item, quantity in granted if quantity > 0]
    if not granted:
        raise ApplicationError(_("Grant at least one resource, or reject the application."))
    partial = len(granted) < len(items) or any(quantity < item.quantity for item, quantity in granted)
    if partial and not reason.strip():
        raise ApplicationError(pgettext("application decision", "A partial approval needs a reason."))
    return granted


def _needs(granted: list[Grant]) -> list[Need]:
    return [Need(item.offering, quantity, item.starts_on, item.ends_on) for item, quantity in granted]


def _record_approvals(*, actor: User | None, reason: str, approvals: list[tuple[Application, list[Grant]]]) -> None:
    """Mark locked applications approved, with their history rows and decision e-mails."""
    now = timezone.now()
    applications = [application for application, _granted in approvals]
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
    data_version.changed()
    members = members_to_notify_of([application.organization_id for application in applications])
    for (application, granted), transition in zip(approvals, transitions, strict=True):
        application.status, application.updated_at = Application.Status.APPROVED, now
        emails.send_decision(
            application, transition, granted=granted, members=members.get(application.organization_id, [])
        )


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
    enqueue_provisioning([allocation.pk for allocation in allocations])
    return allocations


@transaction.atomic
def application_approve(
    *, actor: User | None, application: Application, grants: dict[int, int] | None = None, reason: str = ""
) -> list[Allocation]:
    """Approve in full (``grants`` None) or in part (item id -> granted quantity, 0 to skip).

    Precondition: the application is submitted or wait-listed. Effect: one pending allocation
    per granted item, holding its capacity from this commit on, the decision e-mail recorded,
    and provisioning enqueued after the commit. Raises ``DoesNotFit`` (nothing changed) when the
    pool cannot take the grant; a partial grant needs a reason. Not idempotent: a second call
    finds the application approved.
    """
    locked = _lock_for_decision([application.pk])
    if application.pk not in locked:
        raise Application.DoesNotExist(f"application {application.pk} does not exist")
    application = locked[application.pk]
    ensure_may_decide(actor, application)
    granted = _grants(application, grants, reason)
    # The decision first, the capacity last, so that the hot ledger rows stay locked for as few
    # statements as possible; if the grant does not fit, the whole transaction rolls back.
    _record_approvals(actor=actor, reason=reason, approvals=[(application, granted)])
    free = lock_ledger(need.period for need in _needs(granted))
    shortfalls = fit(free, _needs(granted))
    if shortfalls:
        raise DoesNotFit(shortfalls)
    return _create_allocations(actor=actor, reason=reason, approvals=[(application, granted)])


@dataclass(frozen=True)
class Approvals:
    """What ``applications_approve`` did: the applications approved (in the order given) and
    their allocations, and the applications refused with the reason (each keeps its place)."""

    approved: list[Application]
    allocations: list[Allocation]
    refused: list[tuple[Application, DomainError]]


@transaction.atomic
def applications_approve(
    *, actor: User | None, applications: list[Application], reason: str = "", limit: int | None = None
) -> Approvals:
    """Approve in full, in the order given (rank order), each application that fits, until
    ``limit`` are approved; refuse the others with the reason and go on.

    The batch form of ``application_approve`` (filling a call by priority, offering freed
    capacity to a wait-list, the queue's bulk approval), with the same checks and the same
    effect for each application approved, all in one transaction: the applications are locked
    in id order, then the ledger rows of all their periods in (offering, day) order; what fits
    is decided on the locked figures, in the order given, and the allocations are inserted by
    one statement. An application that does not fit is refused with ``DoesNotFit`` and does not
    stop the ones after it. Not idempotent: a second call refuses the applications approved.
    """
    locked = _lock_for_decision([application.pk for application in applications])
    # In the order given; one deleted meanwhile has nothing left to decide.
    applications = [locked[application.pk] for application in applications if application.pk in locked]
    refusals = decision_refusals(actor, applications)
    candidates: list[tuple[Application, list[Grant]]] = []
    refused: list[tuple[Application, DomainError]] = []
    for application in applications:
        if application.pk in refusals:
            refused.append((application, refusals[application.pk]))
            continue
        try:
            candidates.append((application, _grants(application, None, reason)))
        except ApplicationError as error:
            refused.append((application, error))
    free = lock_ledger(need.period for _application, granted in candidates for need in _needs(granted))
    approvals: list[tuple[Application, list[Grant]]] = []
    for application, granted in candidates:
        if limit is not None and len(approvals) >= limit:
            break
        shortfalls = fit(free, _needs(granted), take=True)
        if shortfalls:
            refused.append((application, DoesNotFit(shortfalls)))
        else:
            approvals.append((application, granted))
    allocations = []
    if approvals:
        _record_approvals(actor=actor, reason=reason, approvals=approvals)
        allocations = _create_allocations(actor=actor, reason=reason, approvals=approvals)
    order = {application.pk: position for position, application in enumerate(applications)}
    refused.sort(key=lambda pair: order[pair[0].pk])
    return Approvals([application for application, _granted in approvals], allocations, refused)


@transaction.atomic
def application_waitlist(*, actor: User | None, application: Application, reason: str = "") -> Application:
    """Put a submitted application on the wait-list; its rank (score, submission time) is kept.
    The applicant is told (the e-mail is recorded in this transaction)."""
    application = _lock_one(application)
    ensure_may_decide(actor, application)
    if application.status != Application.Status.SUBMITTED:
        raise ApplicationError(_("Only a submitted application can be wait-listed."))
    application.status = Application.Status.WAITLISTED
    application.save(update_fields=["status", "updated_at"])
    transition = record_transition(application, actor=actor, from_status=Application.Status.SUBMITTED, reason=reason)
    emails.send_decision(application, transition)
    return application


@transaction.atomic
def application_reject(*, actor: User | None, application: Application, reason: str) -> Application:
    """Reject a submitted or wait-listed application; the applicant is told the reason (the
    e-mail is recorded in this transaction)."""
    if not reason.strip():
        raise ApplicationError(pgettext("application decision", "A rejection needs a reason."))
    application = _lock_one(application)
    ensure_may_decide(actor, application)
    if not application.is_decidable:
        raise ApplicationError(_("Only a submitted or wait-listed application can be rejected."))
    previous = application.status
    application.status = Application.Status.REJECTED
    application.save(update_fields=["status", "updated_at"])
    transition = record_transition(application, actor=actor, from_status=previous, reason=reason)
    emails.send_decision(application, transition)
    return application
