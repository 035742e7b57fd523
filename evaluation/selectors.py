"""Reads of the evaluation, with their scope built in."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from applications.models import RANKED_STATUSES, Application, Call, ClaimKind, PriorityClaim
from applications.selectors import call_points
from evaluation import aggregation
from evaluation.models import HOLDING_STATES, Assignment, CallEvaluation, Criterion, Evaluator, Stage, StageResult

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


def policy_of(call: Call) -> CallEvaluation | None:
    return CallEvaluation.objects.filter(call=call).first()


def reserved_group(policy: CallEvaluation, application_ids: list[int]) -> set[int]:
    """Which of the applications belong to the policy's priority group: their claim of its kind
    is verified (one query)."""
    if not policy.has_reserved_share:
        return set()
    return set(
        PriorityClaim.objects.filter(
            application_id__in=application_ids,
            kind=policy.reserved_claim,
            verification=PriorityClaim.Verification.VERIFIED,
        ).values_list("application_id", flat=True)
    )


def selection_order(call: Call, candidates: list[Application], seats: int) -> list[Application]:
    """``candidates`` (in rank order) in the order a call fills its ``seats`` selections: as
    ranked, except that a call with a reserved share puts first the applications the share
    selects (``aggregation.reserved_selection``, counting those approved already), then the rest
    in rank order. Three queries with a share, none without."""
    policy = policy_of(call) if candidates else None
    if policy is None or not policy.has_reserved_share or seats <= 0:
        return candidates
    approved = list(
        Application.objects.filter(call=call, status=Application.Status.APPROVED).values_list("pk", flat=True)
    )
    group = reserved_group(policy, [application.pk for application in candidates] + approved)
    chosen = aggregation.reserved_selection(
        [(application.pk, application.pk in group) for application in candidates],
        seats=seats,
        percent=policy.reserved_percent,
        already=(len(approved), len(group.intersection(approved))),
    )
    first = set(chosen)
    return [application for application in candidates if application.pk in first] + [
        application for application in candidates if application.pk not in first
    ]


@dataclass(frozen=True)
class CallPolicySection:
    """How an evaluated call selects, as its public page tells applicants before they apply."""

    policy: CallEvaluation
    stages: list[Stage]  # with ``criteria`` prefetched
    bonus: list[tuple[str, int]]  # (claim kind's label, points) of the priority policy
    reserved_group: str  # the claim kind's label, '' without a share


def call_policy_section(call: Call) -> CallPolicySection | None:
    """The call page's section on the evaluation (``applications.pages``); None for a call that
    selects on priority alone. Four queries."""
    policy = policy_of(call)
    if policy is None or not policy.is_evaluated:
        return None
    stages = list(
        Stage.objects.filter(call=call)
        .order_by("order")
        .prefetch_related(Prefetch("criteria", queryset=Criterion.objects.order_by("order", "pk")))
    )
    labels = dict(ClaimKind.choices)
    bonus = sorted(
        ((str(labels.get(kind, kind)), points) for kind, points in call_points(call).items() if points),
        key=lambda line: -line[1],
    )
    return CallPolicySection(
        policy=policy,
        stages=stages,
        bonus=bonus,
        reserved_group=str(labels.get(policy.reserved_claim, "")) if policy.has_reserved_share else "",
    )
