"""Deciding a past call as its reviewer did, and provisioning what was granted as the worker did.

The reviewer verifies each claimed priority against its evidence (``claim_review``), fills the
call by priority in one action (``filling.fill_by_priority_apply``: rank order, what fits, up to
the number of organisations to select) and wait-lists the rest, each with the shortfall that kept
it out (``application_waitlist``). The worker then provisions the approval's allocations together
(``provisioning.allocations_provision``), one by one when the backend cannot.
"""

from dataclasses import dataclass

from accounts.models import User
from allocations.models import Allocation
from allocations.services import decisions, filling, provisioning
from applications.models import Application, Call, PriorityClaim
from applications.selectors import ranked
from applications.services import claim_review

VERIFIED_NOTE = "증빙 서류 확인"
NOT_SELECTED = "선정 규모를 채워 대기자로 등록합니다."


@dataclass(frozen=True)
class Decided:
    approved: int
    waitlisted: int


def decide(*, call: Call, reviewer: User) -> Decided:
    """Verify the pending claims of the call's submitted applications, approve in rank order what
    fits and wait-list the rest. Only applications still submitted are decided."""
    submitted = Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
    pending = PriorityClaim.objects.filter(application__in=submitted, verification=PriorityClaim.Verification.PENDING)
    for claim in pending.select_related("application").order_by("application_id", "kind"):
        claim_review(actor=reviewer, claim=claim, verdict=PriorityClaim.Verification.VERIFIED, note=VERIFIED_NOTE)
    shown = filling.fill_by_priority_plan(actor=reviewer, call=call)
    approved, _refused = filling.fill_by_priority_apply(actor=reviewer, call=call, confirmed=shown.digest)
    # What kept the others out, as the fill preview shows it to the reviewer.
    plan = filling.fill_by_priority_plan(actor=reviewer, call=call)
    shortfalls = {
        application.pk: " ".join(shortfall.message for shortfall in application_shortfalls)
        for application, application_shortfalls in plan.skipped
    }
    left = list(ranked(submitted.all()))
    for application in left:
        decisions.application_waitlist(
            actor=reviewer, application=application, reason=shortfalls.get(application.pk, NOT_SELECTED)
        )
    return Decided(approved=len(approved), waitlisted=len(left))


def provision(*, call: Call) -> None:
    """Provision the call's pending allocations as the worker does after an approval: together,
    or each on its own when the backend cannot (``allocations.tasks.provision_allocations``)."""
    pending = Allocation.objects.filter(
        application_item__application__call=call, state=Allocation.State.PENDING
    ).order_by("pk")
    allocation_ids = list(pending.values_list("pk", flat=True))
    if not allocation_ids:
        return
    try:
        provisioning.allocations_provision(allocation_ids=allocation_ids)
    except provisioning.NotProvisionableTogether:
        for allocation_id in allocation_ids:
            provisioning.allocation_provision(allocation_id=allocation_id)
