"""From the evaluators' scores to the call's ranking.

After each submission, ``ranking_recompute`` recomputes the application's result in the stage
(``evaluation.aggregation``) and writes its merit on the application (``merit_score``,
``merit_stage``); the database's rank triggers then re-rank the call in the same statement
(``applications/migrations/0015``), so the reviewer's queue, the decision page, filling by
priority and the wait-list follow the final score at once. A fixed number of queries, whatever
the size of the call.

``stage_close`` fixes a stage's results and decides who passes to the next stage (the pass mark
and/or the first N, in the stage's ranking).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import Application
from applications.services import lock_rankings
from evaluation import aggregation
from evaluation.errors import EvaluationError
from evaluation.models import Assignment, Criterion, Score, Stage, StageResult, StageTransition
from evaluation.selectors import stage_applications
from portal import data_version
from portal.errors import NotAllowed


def _sheets(scores: Iterable[tuple[int, int, int, Decimal]]) -> dict[int, dict[int, dict[int, Decimal]]]:
    """application id -> evaluator id -> criterion id -> value."""
    sheets: dict[int, dict[int, dict[int, Decimal]]] = {}
    for application_id, evaluator_id, criterion_id, value in scores:
        sheets.setdefault(application_id, {}).setdefault(evaluator_id, {})[criterion_id] = value
    return sheets


def _submitted_scores(stage: Stage) -> QuerySet[Score]:
    return Score.objects.filter(assignment__stage=stage, assignment__state=Assignment.State.SUBMITTED)


def _result_fields(result: aggregation.Merit) -> dict[str, Any]:
    return {
        "evaluations": result.evaluations,
        "merit": result.merit,
        "spread": result.spread,
        "outliers": len(result.outliers),
        "computed_at": timezone.now(),
    }


def _follow(application_ids: list[int], stage: Stage, merits: dict[int, Decimal | None]) -> None:
    """Write each application's merit in ``stage`` on it, unless it was scored in a later stage
    already (re-scoring an earlier stage leaves the later merit standing). One UPDATE per
    distinct merit; the rank triggers re-rank the call in the same statement."""
    by_merit: dict[Decimal | None, list[int]] = {}
    for application_id in application_ids:
        by_merit.setdefault(merits.get(application_id), []).append(application_id)
    for merit, ids in by_merit.items():
        if merit is None:
            continue
        Application.objects.filter(pk__in=ids).filter(
            Q(merit_stage__isnull=True) | Q(merit_stage__lte=stage.order)
        ).update(merit_score=merit, merit_stage=stage.order)


@transaction.atomic
def ranking_recompute(*, application: Application, stage: Stage) -> StageResult:
    """Recompute ``application``'s result in ``stage`` from the submitted scores and its merit
    on the application, which re-ranks the call. Call it after a submission (eval-site's
    scoring service does), in the same transaction. Idempotent; a fixed number of queries:
    the call's ranking lock, the rubric, the scores, the result (read and write), the UPDATE."""
    # The call first: the rank triggers lock it, then rewrite its applications' ranks.
    lock_rankings([application.call_id])
    weights = dict(Criterion.objects.filter(stage=stage).values_list("pk", "weight"))
    sheets = _sheets(
        _submitted_scores(stage)
        .filter(assignment__application=application)
        .values_list("assignment__application_id", "assignment__evaluator_id", "criterion_id", "value")
    )
    result = aggregation.stage_merit(sheets.get(application.pk, {}), weights, stage.scale)
    stage_result, _created = StageResult.objects.update_or_create(
        stage=stage, application=application, defaults=_result_fields(result)
    )
    _follow([application.pk], stage, {application.pk: result.merit})
    data_version.changed()
    return stage_result


def stage_results_recompute(stage: Stage) -> dict[int, StageResult]:
    """Every result of ``stage`` from its submitted scores, written in bulk (a fixed number of
    queries, and one UPDATE of the applications per distinct merit). The caller holds the
    call's ranking lock. Returns application id -> result."""
    weights = dict(Criterion.objects.filter(stage=stage).values_list("pk", "weight"))
    ids = list(stage_applications(stage).order_by("pk").values_list("pk", flat=True))
    sheets = _sheets(
        _submitted_scores(stage)
        .filter(assignment__application_id__in=ids)
        .values_list("assignment__application_id", "assignment__evaluator_id", "criterion_id", "value")
    )
    existing = {result.application_id: result for result in StageResult.objects.filter(stage=stage)}
    changed, new = [], []
    merits: dict[int, Decimal | None] = {}
    for application_id in ids:
        fields = _result_fields(aggregation.stage_merit(sheets.get(application_id, {}), weights, stage.scale))
        merits[application_id] = fields["merit"]
        result = existing.get(application_id)
        if result is None:
            new.append(StageResult(stage=stage, application_id=application_id, **fields))
            continue
        for name, value in fields.items():
            setattr(result, name, value)
        changed.append(result)
    StageResult.objects.bulk_update(changed, ["evaluations", "merit", "spread", "outliers", "computed_at"], 500)
    StageResult.objects.bulk_create(new, batch_size=500)
    _follow(ids, stage, merits)
    return {result.application_id: result for result in [*changed, *new]}


def stage_standings(stage: Stage, results: dict[int, StageResult]) -> list[aggregation.Standing]:
    """The stage's applications in the stage's own ranking: its merit + bonus, merit, submission."""
    applications = Application.objects.filter(pk__in=list(results)).values_list("pk", "priority_score", "submitted_at")
    return aggregation.ranking(
        aggregation.Standing(key=pk, stage=stage.order, merit=results[pk].merit, bonus=bonus, submitted_at=submitted_at)
        for pk, bonus, submitted_at in applications
        if submitted_at is not None  # every ranked application has one (a CHECK holds it)
    )


@dataclass(frozen=True)
class StageOutcome:
    passed: list[int]
    failed: list[int]


@transaction.atomic
def stage_close(*, actor: User | None, stage: Stage, reason: str = "") -> StageOutcome:
    """Close ``stage``: its results are computed a last time from the submitted scores and fixed,
    and those that pass are marked (a merit of at least the pass mark and/or a place within the
    first N of the stage's ranking; neither set, every scored application). Open assignments
    stay unsubmitted and count for nothing. Idempotent: a closed stage's outcome is returned."""
    if actor is None or not actor.has_perm("evaluation.run_stage"):
        raise NotAllowed(_("You may not close evaluation stages."))
    lock_rankings([stage.call_id])
    stage = Stage.objects.select_for_update().get(pk=stage.pk)
    if stage.is_closed:
        return _outcome(stage)
    if not stage.is_scoring:
        raise EvaluationError(_("Only a stage open for scoring can be closed."))
    results = stage_results_recompute(stage)
    standings = stage_standings(stage, results)
    winners = aggregation.passing(
        [(standing.key, standing.merit) for standing in standings], threshold=stage.pass_threshold, top=stage.pass_top
    )
    for result in results.values():
        result.passed = result.application_id in winners
    StageResult.objects.bulk_update(list(results.values()), ["passed"], 500)
    stage.state, stage.closed_at = Stage.State.CLOSED, timezone.now()
    stage.save(update_fields=["state", "closed_at"])
    StageTransition.objects.create(
        stage=stage, actor=actor, from_state=Stage.State.SCORING, to_state=stage.state, reason=reason
    )
    data_version.changed()
    return _outcome(stage)


def _outcome(stage: Stage) -> StageOutcome:
    rows = StageResult.objects.filter(stage=stage).order_by("application_id").values_list("application_id", "passed")
    return StageOutcome(passed=[pk for pk, passed in rows if passed], failed=[pk for pk, passed in rows if not passed])
