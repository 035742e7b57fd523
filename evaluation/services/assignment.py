"""Reviewers give a stage's applications to evaluators: by hand, or automatically (N per
application, the load balanced), and again when an evaluator declines, is found in conflict or
misses the deadline.

Every path checks conflicts first (``evaluation.conflicts``): a conflicted evaluator is never
assigned, and the conflict is recorded (``ConflictDeclaration``, found by the portal) so that
reviewers see it. Changes to a stage's assignments are serialised by the stage's row lock, so
two reviewers cannot give one application more than N evaluators. Each assignment and each
change of state has its history row.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import Application
from evaluation import conflicts
from evaluation.errors import ConflictFound, EvaluationError
from evaluation.models import Assignment, AssignmentTransition, ConflictDeclaration, Evaluator, Stage
from evaluation.selectors import active_evaluators, assignable_applications, evaluator_loads, holding_counts
from portal.errors import NotAllowed

# A replacement evaluator gets at least this long, even when the stage's deadline is nearer.
REPLACEMENT_TIME = timedelta(days=7)


def _ensure(actor: User | None) -> None:
    if actor is None or not actor.has_perm("evaluation.assign_evaluators"):
        raise NotAllowed(_("You may not assign evaluators."))


def _lock_stage(stage: Stage) -> Stage:
    """The stage's row, locked: every change to its assignments holds it."""
    locked = Stage.objects.select_for_update().select_related("call").get(pk=stage.pk)
    if not locked.is_scoring:
        raise EvaluationError(_("Evaluators are assigned while the stage is open for scoring."))
    return locked


def flag_conflicts(found: dict[tuple[int, int], list[str]], *, actor: User | None) -> int:
    """Record the conflicts the portal found (one automatic declaration per evaluator and
    organisation; those already recorded are left alone). Returns how many were new."""
    new = [
        ConflictDeclaration(
            evaluator_id=evaluator_id,
            organization_id=organization_id,
            kind=ConflictDeclaration.Kind.EXCLUSION,
            source=ConflictDeclaration.Source.AUTOMATIC,
            reason=conflicts.describe(grounds),
            declared_by=actor,
        )
        for (evaluator_id, organization_id), grounds in sorted(found.items())
        if grounds != [conflicts.RECORDED]
    ]
    if not new:
        return 0
    existing = set(
        ConflictDeclaration.objects.filter(
            source=ConflictDeclaration.Source.AUTOMATIC,
            evaluator_id__in={each.evaluator_id for each in new},
            organization_id__in={each.organization_id for each in new},
        ).values_list("evaluator_id", "organization_id")
    )
    new = [each for each in new if (each.evaluator_id, each.organization_id) not in existing]
    ConflictDeclaration.objects.bulk_create(new)
    return len(new)


def _history(assignments: Iterable[Assignment], *, actor: User | None, from_state: str, reason: str = "") -> None:
    AssignmentTransition.objects.bulk_create(
        AssignmentTransition(
            assignment=assignment, actor=actor, from_state=from_state, to_state=assignment.state, reason=reason
        )
        for assignment in assignments
    )


def _due(stage: Stage, due_at: datetime | None) -> datetime:
    return due_at if due_at is not None else stage.deadline


@transaction.atomic
def assignment_create(
    *, actor: User | None, stage: Stage, application: Application, evaluator: Evaluator, due_at: datetime | None = None
) -> Assignment:
    """Give ``application`` to ``evaluator`` in ``stage`` by hand.

    Refused: a stage not open for scoring, an application the stage does not evaluate (or
    already decided), an inactive evaluator, one given it before (and who declined, was found in
    conflict or was replaced), an application that already has its N evaluators, and a conflict
    (``ConflictFound``; the conflict is recorded all the same). Idempotent for an evaluator
    who holds it already."""
    _ensure(actor)
    stage = _lock_stage(stage)
    if not assignable_applications(stage).filter(pk=application.pk).exists():
        raise EvaluationError(_("This stage does not evaluate this application, or it is decided already."))
    evaluator = Evaluator.objects.select_related("user").get(pk=evaluator.pk)
    if not evaluator.is_active or not evaluator.user.is_active:
        raise EvaluationError(_("This evaluator is not active."))
    earlier = Assignment.objects.filter(stage=stage, application=application, evaluator=evaluator).first()
    if earlier is not None:
        if earlier.is_visible_to_evaluator:
            return earlier
        raise EvaluationError(
            _("This evaluator was given this application before (%(state)s).") % {"state": earlier.get_state_display()}
        )
    found = conflicts.conflicts_among([evaluator], [application.organization_id])
    if found:
        flag_conflicts(found, actor=actor)
        grounds = found[(evaluator.pk, application.organization_id)]
        # Raised after the flag is written: the caller's transaction keeps it if it goes on.
        raise ConflictFound(
            _("%(evaluator)s cannot evaluate this application: %(grounds)s.")
            % {"evaluator": evaluator.name, "grounds": conflicts.describe(grounds)}
        )
    held = holding_counts(stage).get(application.pk, 0)
    if held >= stage.evaluators_per_application:
        raise EvaluationError(
            _("This application already has its %(count)s evaluators.") % {"count": stage.evaluators_per_application}
        )
    assignment = Assignment.objects.create(
        stage=stage, application=application, evaluator=evaluator, due_at=_due(stage, due_at), assigned_by=actor
    )
    _history([assignment], actor=actor, from_state="")
    return assignment


@dataclass
class AssignmentPlan:
    """What automatic assignment did: the assignments made, the conflicts flagged (evaluator id,
    organisation id, grounds), and the applications left short of N (no free evaluator)."""

    created: list[Assignment] = field(default_factory=list)
    flagged: list[tuple[int, int, list[str]]] = field(default_factory=list)
    short: dict[int, int] = field(default_factory=dict)  # application id -> places left empty


def _fill(
    stage: Stage,
    applications: Sequence[tuple[int, int]],
    *,
    actor: User | None,
    due_at: datetime,
) -> AssignmentPlan:
    """Give each of ``applications`` (id, organisation id) evaluators up to the stage's N: each
    place to the active evaluator with the fewest applications in the stage (then the lowest
    id), never one in conflict with its organisation nor one given it before. The stage is
    locked by the caller."""
    plan = AssignmentPlan()
    if not applications:
        return plan
    evaluators = list(active_evaluators())
    loads = {evaluator.pk: 0 for evaluator in evaluators}
    loads.update({pk: count for pk, count in evaluator_loads(stage).items() if pk in loads})
    held = holding_counts(stage)
    ids = [application_id for application_id, _organization in applications]
    given: dict[int, set[int]] = {}
    for application_id, evaluator_id in Assignment.objects.filter(stage=stage, application_id__in=ids).values_list(
        "application_id", "evaluator_id"
    ):
        given.setdefault(application_id, set()).add(evaluator_id)
    found = conflicts.conflicts_among(evaluators, {organization for _application, organization in applications})
    conflicted: dict[int, set[int]] = {}
    for evaluator_id, organization_id in found:
        conflicted.setdefault(organization_id, set()).add(evaluator_id)
    flag_conflicts(found, actor=actor)
    plan.flagged = [
        (evaluator_id, organization_id, grounds) for (evaluator_id, organization_id), grounds in found.items()
    ]
    new: list[Assignment] = []
    for application_id, organization_id in applications:
        needed = stage.evaluators_per_application - held.get(application_id, 0)
        if needed <= 0:
            continue
        excluded = given.get(application_id, set()) | conflicted.get(organization_id, set())
        free = sorted((loads[pk], pk) for pk in loads if pk not in excluded)
        for _load, evaluator_id in free[:needed]:
            loads[evaluator_id] += 1
            new.append(
                Assignment(
                    stage=stage,
                    application_id=application_id,
                    evaluator_id=evaluator_id,
                    due_at=due_at,
                    assigned_by=actor,
                )
            )
        if len(free) < needed:
            plan.short[application_id] = needed - len(free)
    plan.created = Assignment.objects.bulk_create(new, batch_size=1000)
    _history(plan.created, actor=actor, from_state="")
    return plan


@transaction.atomic
def assignments_auto(*, actor: User | None, stage: Stage) -> AssignmentPlan:
    """Give every application the stage evaluates (and that is not decided) its N evaluators,
    balancing the load: each place goes to the free evaluator with the fewest applications in
    the stage. Conflicted evaluators are skipped and their conflicts recorded. Idempotent: a
    second run finds every place filled and changes nothing."""
    _ensure(actor)
    stage = _lock_stage(stage)
    applications = list(assignable_applications(stage).order_by("pk").values_list("pk", "organization_id"))
    return _fill(stage, applications, actor=actor, due_at=stage.deadline)


def _replacement_due(stage: Stage) -> datetime:
    return max(stage.deadline, timezone.now() + REPLACEMENT_TIME)


def _take_away(assignment: Assignment, *, actor: User | None, reason: str) -> None:
    previous = assignment.state
    assignment.state = Assignment.State.REASSIGNED
    assignment.save(update_fields=["state"])
    _history([assignment], actor=actor, from_state=previous, reason=reason)


@transaction.atomic
def assignment_reassign(*, actor: User | None, assignment: Assignment, reason: str = "") -> AssignmentPlan:
    """Give ``assignment``'s place to another evaluator: one who declined or is in conflict,
    or one who missed the due time (their assignment becomes *reassigned*: they no longer see
    it). The replacement is chosen as in automatic assignment and gets until the stage's
    deadline or a week, whichever is later. Refused for an assignment in time or submitted."""
    _ensure(actor)
    stage = _lock_stage(assignment.stage)
    assignment = Assignment.objects.select_for_update().select_related("application").get(pk=assignment.pk)
    if assignment.state == Assignment.State.ASSIGNED:
        if timezone.now() <= assignment.due_at:
            raise EvaluationError(_("This evaluator still has time: reassign after the due time."))
        _take_away(assignment, actor=actor, reason=reason or _("The due time passed without a submission."))
    elif assignment.state not in (Assignment.State.DECLINED, Assignment.State.CONFLICTED):
        raise EvaluationError(_("Only a declined, conflicted or overdue assignment is given to someone else."))
    application = assignment.application
    return _fill(stage, [(application.pk, application.organization_id)], actor=actor, due_at=_replacement_due(stage))


@transaction.atomic
def assignments_reassign_overdue(*, actor: User | None, stage: Stage, reason: str = "") -> AssignmentPlan:
    """Take every overdue assignment of ``stage`` away and fill every place left empty (by an
    overdue, declined or conflicted assignment) as automatic assignment does. Idempotent."""
    _ensure(actor)
    stage = _lock_stage(stage)
    now = timezone.now()
    overdue = list(
        Assignment.objects.select_for_update().filter(stage=stage, state=Assignment.State.ASSIGNED, due_at__lt=now)
    )
    for assignment in overdue:
        _take_away(assignment, actor=actor, reason=reason or _("The due time passed without a submission."))
    applications = list(assignable_applications(stage).order_by("pk").values_list("pk", "organization_id"))
    return _fill(stage, applications, actor=actor, due_at=_replacement_due(stage))
