"""An evaluator steps back from an assigned application: declares a conflict of interest
(제척 exclusion: a rule excludes them; 회피 recusal: they step aside of their own accord) or
declines it. Either way they no longer see the application, the declaration is kept with its
reason, and the application needs another evaluator: a reviewer gives its place to someone else
(``services.assignment.assignment_reassign``, from the admin).

A declared conflict is with the applicant organisation: every open assignment of the evaluator
to that organisation's applications is withdrawn with it, and the portal will not assign them
again (``evaluation.conflicts``).
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from evaluation.models import Assignment, AssignmentTransition, ConflictDeclaration
from evaluation.services.scoring import lock_own_assignment
from portal.errors import DomainError

REASON_LIMIT = 2000
# What an evaluator may declare themselves; a challenge (기피) is the applicant's request, which a
# reviewer records.
DECLARABLE = (ConflictDeclaration.Kind.EXCLUSION, ConflictDeclaration.Kind.RECUSAL)


class DeclarationError(DomainError):
    """The declaration or the refusal cannot be recorded; ``str(error)`` says why."""


def _ensure_declinable(assignment: Assignment) -> None:
    if assignment.is_submitted:
        raise DeclarationError(
            _("The scores are already submitted. Write to the operator if you find a conflict of interest now.")
        )
    if not assignment.is_open:
        raise DeclarationError(_("This application is no longer assigned to you."))


def _step_back(assignment: Assignment, *, actor: User, state: str, reason: str) -> None:
    from_state = assignment.state
    assignment.state = state
    assignment.save(update_fields=["state"])
    AssignmentTransition.objects.create(
        assignment=assignment, actor=actor, from_state=from_state, to_state=state, reason=reason
    )


@transaction.atomic
def conflict_declare(*, actor: User, assignment: Assignment, kind: str, reason: str) -> ConflictDeclaration:
    """Declare a conflict with the organisation of ``assignment``'s application: recorded with its
    reason, and this and the evaluator's other open assignments to that organisation are
    withdrawn (state ``conflicted``), each with a history row; a reviewer gives their places to
    other evaluators. Precondition: the actor's own open assignment."""
    assignment = lock_own_assignment(actor, assignment.pk)
    _ensure_declinable(assignment)
    if kind not in DECLARABLE:
        raise DeclarationError(_("Choose exclusion or recusal."))
    reason = reason.strip()[:REASON_LIMIT]
    if not reason:
        raise DeclarationError(_("Say what the conflict of interest is."))
    organization_id = assignment.application.organization_id
    declaration = ConflictDeclaration.objects.create(
        evaluator=assignment.evaluator,
        organization_id=organization_id,
        application=assignment.application,
        kind=kind,
        source=ConflictDeclaration.Source.DECLARED,
        reason=reason,
        declared_by=actor,
    )
    withdrawn = list(
        Assignment.objects.select_for_update()
        .filter(
            evaluator=assignment.evaluator,
            application__organization_id=organization_id,
            state=Assignment.State.ASSIGNED,
        )
        .select_related("stage", "application")
        .order_by("pk")
    )
    for each in withdrawn:
        _step_back(each, actor=actor, state=Assignment.State.CONFLICTED, reason=reason)
    return declaration


@transaction.atomic
def assignment_decline(*, actor: User, assignment: Assignment, reason: str) -> Assignment:
    """Decline ``assignment`` with a reason (too busy, outside one's field…): the evaluator no
    longer sees the application, whose place a reviewer gives to another evaluator.
    Precondition: the actor's own open assignment."""
    assignment = lock_own_assignment(actor, assignment.pk)
    _ensure_declinable(assignment)
    reason = reason.strip()[:REASON_LIMIT]
    if not reason:
        raise DeclarationError(_("Say why you decline."))
    _step_back(assignment, actor=actor, state=Assignment.State.DECLINED, reason=reason)
    return assignment
