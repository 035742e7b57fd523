"""What the evaluation shows on the site: to an evaluator, the applications assigned to them (and
nothing else: never an unassigned or conflicted application, never another evaluator's scores);
to an applicant, the stage their application is in and, after the decision, its scores and the
evaluators' comments, anonymised (위원 A, B, …), and their objection.

Each read has its scope built in and fetches what its page shows in a fixed number of queries,
whatever the size of the call.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from string import ascii_uppercase

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import DECIDED_STATUSES, Application, ApplicationItem, PriorityClaim
from evaluation.models import (
    HOLDING_STATES,
    Assignment,
    CallEvaluation,
    ConflictDeclaration,
    Criterion,
    Objection,
    Score,
    Stage,
)

# --- The evaluator ------------------------------------------------------------------------------


def evaluator_assignments(user: User) -> QuerySet[Assignment]:
    """The assignments ``user`` may open as an evaluator: their own (an active profile), assigned
    or submitted, in a stage that is scoring or closed, to an organisation they have no conflict
    with. A withdrawn, declined or conflicted assignment is not among them."""
    conflicted = ConflictDeclaration.objects.filter(
        evaluator_id=OuterRef("evaluator_id"), organization_id=OuterRef("application__organization_id")
    )
    return (
        Assignment.objects.filter(evaluator__user=user, evaluator__is_active=True, state__in=HOLDING_STATES)
        .exclude(stage__state=Stage.State.PREPARING)
        .exclude(Exists(conflicted))
        # A member of the applicant organisation (one who joined it after the assignment too).
        .exclude(application__organization__memberships__user=user)
    )


def assignment_list(user: User) -> list[Assignment]:
    """The evaluator's list: each assignment with its call, stage and applicant organisation and
    how many criteria it has scored so far (``scored``) of the stage's (``criteria_count``);
    open ones first, by deadline."""
    return list(
        evaluator_assignments(user)
        .select_related("stage__call", "application__organization")
        .annotate(
            scored=Count("scores", distinct=True),
            criteria_count=Count("stage__criteria", distinct=True),
        )
        .order_by("state", "due_at", "stage__call_id", "stage__order", "application_id")
    )


def assignment_for_scoring(user: User) -> QuerySet[Assignment]:
    """The scoring page's assignment: its stage's rubric, the evaluator's own scores (never
    another's), the application's plan, requested resources and claims."""
    return (
        evaluator_assignments(user)
        .select_related("stage__call", "evaluator", "application__organization")
        .prefetch_related(
            Prefetch("stage__criteria", queryset=Criterion.objects.order_by("order", "pk")),
            Prefetch("scores", queryset=Score.objects.order_by("criterion__order", "criterion_id")),
            Prefetch("application__items", queryset=ApplicationItem.objects.select_related("offering")),
            Prefetch("application__claims", queryset=PriorityClaim.objects.order_by("kind")),
        )
    )


@dataclass(frozen=True)
class RubricLine:
    criterion: Criterion
    score: Score | None


def rubric_lines(assignment: Assignment) -> list[RubricLine]:
    """The stage's criteria in order, each with the evaluator's score so far (prefetched)."""
    scores = {score.criterion_id: score for score in assignment.scores.all()}
    return [RubricLine(criterion, scores.get(criterion.pk)) for criterion in assignment.stage.criteria.all()]


# --- The applicant ------------------------------------------------------------------------------


def evaluator_label(index: int) -> str:
    """위원 A, 위원 B, …: an evaluator as the applicant sees them (by their order in the stage)."""
    letters = ascii_uppercase[index % 26] * (index // 26 + 1)
    return _("Evaluator %(letter)s") % {"letter": letters}


@dataclass
class Comment:
    evaluator: str
    lines: list[tuple[str, str]]  # (criterion, reason)


@dataclass
class StageFeedback:
    stage: Stage
    comments: list[Comment] = field(default_factory=list)


@dataclass
class EvaluationSection:
    """The "evaluation" section of the applicant's page."""

    policy: CallEvaluation
    stages: list[Stage]
    current: Stage | None  # the stage the application is in (None: not evaluated yet)
    decided: bool
    merit: Decimal | None = None
    bonus: int = 0
    final: Decimal | None = None
    feedback: list[StageFeedback] = field(default_factory=list)
    objection: Objection | None = None
    objection_deadline: datetime | None = None
    may_object: bool = False


def _decided_at(application: Application) -> datetime | None:
    """The last decision's time from the page's prefetched history (no query)."""
    times = [t.created_at for t in application.transitions.all() if t.to_status in DECIDED_STATUSES]
    return max(times) if times else None


def evaluation_section(application: Application, can_act: bool) -> EvaluationSection | None:
    """The evaluation section of ``application``'s page (``applications.pages``), or None for a
    call decided on priority alone. Reads the application's history prefetched by the page."""
    policy = CallEvaluation.objects.filter(call_id=application.call_id).first()
    if policy is None or not policy.is_evaluated or application.is_editable:
        return None
    stages = list(Stage.objects.filter(call_id=application.call_id).order_by("order"))
    reached = (
        Assignment.objects.filter(application=application)
        .exclude(stage__state=Stage.State.PREPARING)
        .order_by("-stage__order")
        .values_list("stage_id", flat=True)
        .first()
    )
    current = next((stage for stage in stages if stage.pk == reached), None)
    section = EvaluationSection(
        policy=policy, stages=stages, current=current, decided=application.status in DECIDED_STATUSES
    )
    if not section.decided:
        return section
    section.merit = application.merit_score
    section.bonus = application.priority_score
    section.final = None if application.merit_score is None else application.merit_score + application.priority_score
    section.feedback = _feedback(application, stages)
    section.objection = Objection.objects.filter(application=application).first()
    decided = _decided_at(application)
    if decided is not None:
        section.objection_deadline = decided + timedelta(days=policy.objection_days)
        section.may_object = can_act and section.objection is None and timezone.now() <= section.objection_deadline
    return section


def _feedback(application: Application, stages: list[Stage]) -> list[StageFeedback]:
    """The submitted evaluations' reasons per stage, each evaluator anonymised by their order."""
    submitted = (
        Assignment.objects.filter(application=application, state=Assignment.State.SUBMITTED)
        .order_by("stage__order", "submitted_at", "pk")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=Score.objects.select_related("criterion").order_by("criterion__order", "criterion_id"),
            )
        )
    )
    by_stage: dict[int, StageFeedback] = {stage.pk: StageFeedback(stage) for stage in stages}
    for assignment in submitted:
        feedback = by_stage[assignment.stage_id]
        lines = [(score.criterion.name, score.reason) for score in assignment.scores.all() if score.reason]
        feedback.comments.append(Comment(evaluator_label(len(feedback.comments)), lines))
    return [feedback for feedback in by_stage.values() if feedback.comments]


def objections_visible_to(user: User) -> QuerySet[Objection]:
    """Objections the user may read: their organisations' (members), every one for staff who may
    view objections."""
    if user.is_superuser or (user.is_staff and user.has_perm("evaluation.view_objection")):
        return Objection.objects.all()
    return Objection.objects.filter(application__organization__memberships__user=user)
