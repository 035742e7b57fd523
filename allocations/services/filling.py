"""Filling a call in rank order: by priority (a reviewer's action, previewed first) and from the
wait-list when capacity frees up (the portal's own, where the call allows it). Both approve in
one batch (``decisions.applications_approve``)."""

import hashlib
import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from accounts.models import User
from allocations.services.decisions import applications_approve
from applications.models import Application, Call
from applications.selectors import ranked
from applications.services import decision_refusals
from evaluation.selectors import selection_order
from pool.capacity import Need, Shortfall, fit, free_units
from portal.errors import DomainError, NotAllowed


class PlanChanged(DomainError):
    """The plan the reviewer confirmed is no longer what filling would do now."""


def waitlist_offer_freed_capacity(*, call: Call) -> list[Application]:
    """Approve, in rank order, the wait-listed applications of ``call`` that now fit.

    Stops at the call's number of organisations to select. One batch approval (one
    transaction); an application that does not fit is skipped, keeping its place.
    """
    selected = Application.objects.filter(call=call, status=Application.Status.APPROVED).count()
    if selected >= call.selection_target:
        return []
    waiting = list(ranked(Application.objects.filter(call=call, status=Application.Status.WAITLISTED)))
    if not waiting:
        return []
    return applications_approve(
        actor=None, applications=waiting, reason=_("Capacity became free."), limit=call.selection_target - selected
    ).approved


def calls_with_waitlist_offers() -> list[Call]:
    """Calls that approve from their wait-list by themselves and have someone waiting."""
    return list(
        Call.objects.filter(waitlist_auto_approve=True, applications__status=Application.Status.WAITLISTED).distinct()
    )


@dataclass(frozen=True)
class FillPlan:
    """Who filling a call by priority would approve now, who would be refused to this reviewer
    (and why), and what would remain free."""

    approve: list[Application]
    skipped: list[tuple[Application, list[Shortfall]]]
    # Fit in rank order, but the reviewer may not decide them (a member of the organisation, a
    # declared conflict): refused, keeping their place, capacity and selection for another.
    refused: list[tuple[Application, NotAllowed]]
    remaining: dict[int, int]  # offering id -> least free units over the call's service period
    selection_left: int

    @property
    def digest(self) -> str:
        """What confirming this plan would do, as a short fingerprint: the applications to
        approve, in order, with what each asks for, and those to refuse. The preview carries it
        to the confirmation, which goes ahead only if the plan is still the same."""
        plan = {
            "approve": [
                [
                    application.pk,
                    sorted(
                        [item.offering_id, item.quantity, item.starts_on.isoformat(), item.ends_on.isoformat()]
                        for item in application.items.all()
                    ),
                ]
                for application in self.approve
            ],
            "refuse": [application.pk for application, _error in self.refused],
        }
        return hashlib.sha256(json.dumps(plan, separators=(",", ":")).encode()).hexdigest()


def fill_by_priority_plan(*, actor: User | None, call: Call) -> FillPlan:
    """Walk the submitted applications of ``call`` in rank order and approve, on paper, those
    that fit, until the call's selection target or the capacity runs out. A call with a share
    reserved for a priority group (``evaluation``) walks the applications the share selects
    first (``selection_order``). Those ``actor`` may
    not decide (``decision_refusals``) are refused, still holding their place: their capacity
    and their selection are not handed to the applications after them. Writes nothing."""
    selected = Application.objects.filter(call=call, status=Application.Status.APPROVED).count()
    candidates = list(
        ranked(Application.objects.filter(call=call, status=Application.Status.SUBMITTED)).prefetch_related(
            "items__offering"
        )
    )
    left = max(call.selection_target - selected, 0)
    # A reserved share for a priority group puts the applications it selects first.
    candidates = selection_order(call, candidates, left)
    refusals = decision_refusals(actor, candidates)
    offerings = {item.offering_id for application in candidates for item in application.items.all()}
    service_period = (call.service_starts_on, call.service_ends_on)
    free = free_units(
        [(offering_id, *service_period) for offering_id in offerings]
        + [
            (item.offering_id, item.starts_on, item.ends_on)
            for application in candidates
            for item in application.items.all()
        ]
    )
    approve: list[Application] = []
    skipped: list[tuple[Application, list[Shortfall]]] = []
    refused: list[tuple[Application, NotAllowed]] = []
    for application in candidates:
        if len(approve) + len(refused) >= left:
            break
        needs = [Need(item.offering, item.quantity, item.starts_on, item.ends_on) for item in application.items.all()]
        shortfalls = fit(free, needs, take=True)
        if shortfalls:
            skipped.append((application, shortfalls))
        elif application.pk in refusals:
            refused.append((application, refusals[application.pk]))
        else:
            approve.append(application)
    remaining = {offering_id: free.tightest(offering_id, *service_period)[0] for offering_id in offerings}
    return FillPlan(approve, skipped, refused, remaining, left - len(approve))


def fill_by_priority_apply(
    *, actor: User, call: Call, confirmed: str
) -> tuple[list[Application], list[tuple[Application, str]]]:
    """Approve the plan the reviewer confirmed (``confirmed``: the ``digest`` of the plan they
    were shown), in rank order, as one batch (``applications_approve``: one transaction).

    The plan is made again first: if it is no longer the one confirmed (a score, an application,
    the pool or the selections changed meanwhile), raises ``PlanChanged`` and approves nothing,
    so the reviewer sees the new plan before anything is decided. Returns the approved
    applications and those refused with the reason: the plan's refusals (what ``actor`` may not
    decide), then what the batch refused. Not idempotent: a second call with the same digest
    finds a different plan and is refused."""
    plan = fill_by_priority_plan(actor=actor, call=call)
    if plan.digest != confirmed:
        raise PlanChanged(
            _(
                "The plan changed after it was shown to you (another decision, a priority score or the "
                "capacity changed). Nothing was approved: check the new plan below and confirm it again."
            )
        )
    refused = [(application, str(error)) for application, error in plan.refused]
    if not plan.approve:
        return [], refused
    result = applications_approve(actor=actor, applications=plan.approve, reason=_("Filled by priority."))
    # The pool may have changed since the plan: what no longer fits is refused and keeps its place.
    return result.approved, refused + [(application, str(error)) for application, error in result.refused]
