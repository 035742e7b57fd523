"""An evaluator scores the applications assigned to them: each criterion of the stage's rubric
on the stage's scale, with a reason; saved as a draft at any point, then submitted once, before
the assignment's deadline; afterwards read-only.

Both services lock the assignment, check that it is the actor's own (an active evaluator who
accepted the pledge) and still open, and check the deadline on the database's clock in the same
statement that changes the assignment, so a request that arrives late is refused whatever the
web server's clock says. A submission recomputes the application's result
(``services.ranking``).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import Membership
from evaluation.models import Assignment, AssignmentTransition, Criterion, Score
from evaluation.services import ranking
from portal import formats
from portal.errors import DomainError, NotAllowed

REASON_LIMIT = 5000


class ScoringError(DomainError):
    """The scores cannot be saved or submitted; ``str(error)`` says why."""


class ScoreProblems(ScoringError):
    """A score out of the scale, or a submission that lacks a score or a reason: ``problems``
    says what is wrong per (criterion id, "score" or "reason"), for the form."""

    def __init__(self, message: str, problems: dict[tuple[int, str], str]):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class ScoreInput:
    value: Decimal | None
    reason: str = ""


def lock_own_assignment(actor: User, assignment_id: int) -> Assignment:
    """The actor's own assignment, locked, with its stage, evaluator and application; refused
    when it is not theirs, their profile is inactive, or the pledge is not accepted."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("stage", "evaluator", "application")
        .filter(pk=assignment_id, evaluator__user=actor)
        .first()
    )
    if (
        assignment is None
        or not assignment.evaluator.is_active
        or Membership.objects.filter(organization_id=assignment.application.organization_id, user=actor).exists()
    ):
        raise NotAllowed(_("This evaluation is not assigned to you."))
    if not assignment.evaluator.has_accepted_pledge:
        raise NotAllowed(_("Accept the confidentiality pledge first."))
    return assignment


def _ensure_open(assignment: Assignment) -> None:
    if assignment.is_submitted:
        raise ScoringError(_("The scores are submitted and can no longer be changed."))
    if not assignment.is_open:
        raise ScoringError(_("This application is no longer assigned to you."))
    if not assignment.stage.is_scoring:
        raise ScoringError(_("This stage is not open for scoring."))
    if timezone.now() > assignment.due_at:
        raise ScoringError(
            _("The deadline (%(deadline)s) has passed; the scores can no longer be changed.")
            % {"deadline": formats.moment(assignment.due_at)}
        )


def _still_open_now(assignment: Assignment) -> None:
    """The deadline on the database's clock, as the statement that keeps the change sees it."""
    if not Assignment.objects.filter(pk=assignment.pk, state=Assignment.State.ASSIGNED, due_at__gte=Now()).exists():
        raise ScoringError(
            _("The deadline (%(deadline)s) has passed; the scores can no longer be changed.")
            % {"deadline": formats.moment(assignment.due_at)}
        )


def _parse(criterion: Criterion, given: ScoreInput, scale: int) -> tuple[Decimal | None, str, str | None]:
    """The value and reason to keep, and what is wrong with them (or None)."""
    reason = given.reason.strip()[:REASON_LIMIT]
    value = given.value
    if value is None:
        # A score row holds a value: a reason alone would be lost.
        return None, reason, _("Give a score with the reason, or leave both empty.") if reason else None
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None, reason, _("Enter a number.")
    if not value.is_finite() or value < 0 or value > scale:
        return None, reason, _("Enter a score from 0 to %(scale)s.") % {"scale": scale}
    if value != value.quantize(Decimal("0.01")):
        return None, reason, _("Use at most two decimal places.")
    return value, reason, None


def _write(assignment: Assignment, scores: Mapping[int, ScoreInput]) -> dict[int, Score]:
    """Check ``scores`` (criterion id -> input) against the stage's rubric and keep them; the
    assignment's scores afterwards, by criterion id. Raises ``ScoringError`` on a value out of
    the scale or a criterion of another stage (nothing kept)."""
    criteria = {criterion.pk: criterion for criterion in assignment.stage.criteria.all()}
    unknown = set(scores) - set(criteria)
    if unknown:
        raise ScoringError(_("A criterion does not belong to this stage's rubric."))
    problems: dict[tuple[int, str], str] = {}
    parsed: dict[int, tuple[Decimal | None, str]] = {}
    for criterion_id, given in scores.items():
        value, reason, problem = _parse(criteria[criterion_id], given, assignment.stage.scale)
        if problem is not None:
            problems[(criterion_id, "score")] = problem
        parsed[criterion_id] = (value, reason)
    if problems:
        raise ScoreProblems(_("Some scores are not valid."), problems)
    existing = {score.criterion_id: score for score in assignment.scores.all()}
    for criterion_id, (value, reason) in parsed.items():
        score = existing.get(criterion_id)
        if value is None:
            if score is not None:
                score.delete()
                del existing[criterion_id]
            continue
        if score is None:
            existing[criterion_id] = Score.objects.create(
                assignment=assignment, criterion=criteria[criterion_id], value=value, reason=reason
            )
        elif (score.value, score.reason) != (value, reason):
            score.value, score.reason = value, reason
            score.save(update_fields=["value", "reason", "updated_at"])
    return existing


@transaction.atomic
def scores_save(*, actor: User, assignment: Assignment, scores: Mapping[int, ScoreInput]) -> Assignment:
    """Keep the evaluator's scores as a draft (any subset of the criteria; an empty value
    removes the criterion's score). Precondition: the actor's own open assignment, before its
    deadline. Idempotent."""
    assignment = lock_own_assignment(actor, assignment.pk)
    _ensure_open(assignment)
    _still_open_now(assignment)
    _write(assignment, scores)
    return assignment


@transaction.atomic
def assignment_submit(
    *, actor: User, assignment: Assignment, scores: Mapping[int, ScoreInput] | None = None
) -> Assignment:
    """Submit the scores (``scores`` saved first, when given): every criterion scored, with a
    reason where the rubric requires one. Then the scores are final and count in the stage's
    result, which is recomputed. Precondition: the actor's own open assignment, before its
    deadline (checked on the database's clock by the UPDATE). Not repeatable: a second
    submission is refused."""
    assignment = lock_own_assignment(actor, assignment.pk)
    _ensure_open(assignment)
    kept = _write(assignment, scores or {})
    problems: dict[tuple[int, str], str] = {}
    for criterion in assignment.stage.criteria.all():
        score = kept.get(criterion.pk)
        if score is None:
            problems[(criterion.pk, "score")] = _("Give a score.")
        if criterion.reason_required and (score is None or not score.reason.strip()):
            problems[(criterion.pk, "reason")] = _("Give the reason for this score.")
    if problems:
        raise ScoreProblems(_("Give every criterion a score and a reason before submitting."), problems)
    submitted = Assignment.objects.filter(pk=assignment.pk, state=Assignment.State.ASSIGNED, due_at__gte=Now()).update(
        state=Assignment.State.SUBMITTED, submitted_at=Now()
    )
    if not submitted:
        raise ScoringError(
            _("The deadline (%(deadline)s) has passed; the scores can no longer be submitted.")
            % {"deadline": formats.moment(assignment.due_at)}
        )
    assignment.refresh_from_db(fields=["state", "submitted_at"])
    AssignmentTransition.objects.create(
        assignment=assignment, actor=actor, from_state=Assignment.State.ASSIGNED, to_state=assignment.state
    )
    ranking.ranking_recompute(stage=assignment.stage, application=assignment.application)
    return assignment
