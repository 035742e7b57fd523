"""Reads of the evaluation, with their scope built in."""

from django.db.models import Count, QuerySet
from django.utils import timezone

from applications.models import RANKED_STATUSES, Application, Call
from evaluation.models import HOLDING_STATES, Assignment, CallEvaluation, Evaluator, Stage, StageResult

# The applications a reviewer still assigns evaluators to: not decided yet.
ASSIGNABLE_STATUSES = (Application.Status.SUBMITTED, Application.Status.WAITLISTED)


def call_is_evaluated(call: Call) -> bool:
    return CallEvaluation.objects.filter(call=call, mode=CallEvaluation.Mode.EVALUATED).exists()


def evaluated_call_ids(call_ids: list[int]) -> set[int]:
    """Which of the calls are evaluated (one query)."""
    return set(
        CallEvaluation.objects.filter(call_id__in=call_ids, mode=CallEvaluation.Mode.EVALUATED).values_list(
            "call_id", flat=True
        )
    )


def stage_applications(stage: Stage) -> QuerySet[Application]:
    """The applications a stage evaluates: in the first stage every ranked application of the
    call (submitted, not withdrawn); in a later one those that passed the stage before it."""
    applications = Application.objects.filter(call_id=stage.call_id, status__in=RANKED_STATUSES)
    if stage.order == 1:
        return applications
    return applications.filter(
        evaluation_results__stage__call_id=stage.call_id,
        evaluation_results__stage__order=stage.order - 1,
        evaluation_results__passed=True,
    )


def assignable_applications(stage: Stage) -> QuerySet[Application]:
    return stage_applications(stage).filter(status__in=ASSIGNABLE_STATUSES)


def active_evaluators() -> QuerySet[Evaluator]:
    return Evaluator.objects.filter(is_active=True, user__is_active=True).order_by("pk")


def holding_counts(stage: Stage) -> dict[int, int]:
    """Application id -> how many evaluators hold a place on it in ``stage`` (assigned or submitted)."""
    return dict(
        Assignment.objects.filter(stage=stage, state__in=HOLDING_STATES)
        .values_list("application_id")
        .annotate(count=Count("pk"))
        .values_list("application_id", "count")
    )


def evaluator_loads(stage: Stage) -> dict[int, int]:
    """Evaluator id -> how many applications they hold in ``stage``."""
    return dict(
        Assignment.objects.filter(stage=stage, state__in=HOLDING_STATES)
        .values_list("evaluator_id")
        .annotate(count=Count("pk"))
        .values_list("evaluator_id", "count")
    )


def stages_of(call: Call) -> QuerySet[Stage]:
    return Stage.objects.filter(call=call).order_by("order")


def results_of(application: Application) -> QuerySet[StageResult]:
    """The application's result in each stage, first stage first."""
    return StageResult.objects.filter(application=application).select_related("stage").order_by("stage__order")


def overdue_assignments(stage: Stage) -> QuerySet[Assignment]:
    """Assignments past their due time, unsubmitted: to be taken away and given to someone else."""
    return Assignment.objects.filter(stage=stage, state=Assignment.State.ASSIGNED, due_at__lt=timezone.now())
