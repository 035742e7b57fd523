"""The final score becomes the call's ranking (services/ranking.py and applications 0015): after
a submission the application's merit is on its row and the database re-ranks the call, so the
queue, the decision page, filling by priority and the wait-list follow it. Run on SQLite and on
PostgreSQL (the triggers differ)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import selectors
from applications.models import RANKED_STATUSES, Application, PriorityClaim
from applications.services import claim_review
from evaluation.models import Assignment, StageResult
from evaluation.services import assignment as assigning
from evaluation.services import configuration, ranking
from tests.evaluation.conftest import evaluated_call, open_stage, submit_sheet

pytestmark = pytest.mark.django_db


def in_rank_order(call) -> list[int]:
    return list(
        Application.objects.filter(call=call, status__in=RANKED_STATUSES).order_by("rank").values_list("pk", flat=True)
    )


def score_all(stage, sheets_by_application: dict[int, list[list[int]]]) -> None:
    """Each application's assignments submitted with the given sheets (one per evaluator)."""
    for application_id, sheets in sheets_by_application.items():
        assignments = Assignment.objects.filter(stage=stage, application_id=application_id).order_by("pk")
        for assignment, values in zip(assignments, sheets, strict=False):
            submit_sheet(assignment, values)


@pytest.fixture
def panel(gpu_pool, operator, reviewer, evaluators):
    call = evaluated_call(gpu_pool, operator, applications=4)
    stage = open_stage(call, operator, reviewer, evaluators_per_application=3)
    assigning.assignments_auto(actor=reviewer, stage=stage)
    first, second, third, fourth = Application.objects.filter(call=call).order_by("submitted_at")
    return call, stage, (first, second, third, fourth)


def test_before_any_score_an_evaluated_call_ranks_by_bonus_then_submission(panel):
    call, _stage, applications = panel

    assert in_rank_order(call) == [application.pk for application in applications]


def test_submitted_scores_rank_the_call_by_final_score(panel):
    call, stage, (first, second, third, fourth) = panel

    score_all(
        stage,
        {
            first.pk: [[60, 60, 60, 60]] * 3,  # 60
            second.pk: [[90, 90, 90, 90]] * 3,  # 90
            third.pk: [[80, 80, 80, 80], [70, 70, 70, 70], [90, 90, 90, 90]],  # 80
            fourth.pk: [[85, 85, 85, 85]],  # 85, one evaluator so far
        },
    )

    assert in_rank_order(call) == [second.pk, fourth.pk, third.pk, first.pk]
    third.refresh_from_db()
    assert (third.merit_score, third.merit_stage, third.rank) == (Decimal("80.00"), 1, 3)
    result = StageResult.objects.get(stage=stage, application=third)
    assert (result.evaluations, result.merit, result.spread) == (3, Decimal("80.00"), Decimal("20.00"))
    # Filling by priority and the wait-list walk the same order.
    assert [a.pk for a in selectors.ranked(Application.objects.filter(call=call))] == in_rank_order(call)


def test_a_claim_verified_later_adds_its_bonus_and_moves_the_rank(panel, reviewer):
    call, stage, (first, second, _third, _fourth) = panel
    score_all(stage, {first.pk: [[80, 80, 80, 80]], second.pk: [[85, 85, 85, 85]]})
    assert in_rank_order(call)[:2] == [second.pk, first.pk]
    claim = PriorityClaim.objects.create(application=first, kind=PriorityClaim.Kind.GWANGJU_LOCATED)

    claim_review(actor=reviewer, claim=claim, verdict="verified")  # 30 points by default: 110 > 85

    assert in_rank_order(call)[:2] == [first.pk, second.pk]


def test_equal_finals_are_ordered_by_merit_then_submission(panel, reviewer, operator):
    call, stage, (first, second, third, _fourth) = panel
    from applications.services import priority_policy_set

    priority_policy_set(actor=operator, call=call, points={"gwangju_located": 10})
    claim = PriorityClaim.objects.create(application=first, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    claim_review(actor=reviewer, claim=claim, verdict="verified")
    # first: 70 + 10 = 80; second: 80 + 0 = 80 (more merit); third: 70 + 0.
    score_all(stage, {first.pk: [[70, 70, 70, 70]], second.pk: [[80, 80, 80, 80]], third.pk: [[70, 70, 70, 70]]})

    assert in_rank_order(call)[:3] == [second.pk, first.pk, third.pk]


def test_closing_a_stage_passes_the_mark_and_the_first_n(gpu_pool, operator, reviewer, evaluators):
    call = evaluated_call(gpu_pool, operator, applications=4)
    stage = open_stage(call, operator, reviewer, evaluators_per_application=1, pass_threshold=Decimal(70), pass_top=2)
    assigning.assignments_auto(actor=reviewer, stage=stage)
    a, b, c, d = Application.objects.filter(call=call).order_by("submitted_at")
    score_all(stage, {a.pk: [[95] * 4], b.pk: [[65] * 4], c.pk: [[75] * 4], d.pk: [[72] * 4]})

    outcome = ranking.stage_close(actor=reviewer, stage=stage)

    assert outcome.passed == [a.pk, c.pk]  # d scores 72 ≥ 70 but is third
    assert outcome.failed == [b.pk, d.pk]
    assert ranking.stage_close(actor=reviewer, stage=stage) == outcome  # idempotent


def test_finalists_of_the_second_stage_rank_above_those_who_stopped(gpu_pool, operator, reviewer, evaluators):
    call = evaluated_call(gpu_pool, operator, applications=3)
    first_stage = open_stage(call, operator, reviewer, evaluators_per_application=1, pass_top=2)
    second_stage = configuration.stage_save(
        actor=operator,
        call=call,
        rules=configuration.StageRules(name="발표평가", deadline=first_stage.deadline, evaluators_per_application=1),
    )
    configuration.rubric_set(
        actor=operator, stage=second_stage, criteria=[configuration.CriterionInput("발표", 100, reason_required=False)]
    )
    assigning.assignments_auto(actor=reviewer, stage=first_stage)
    a, b, c = Application.objects.filter(call=call).order_by("submitted_at")
    score_all(first_stage, {a.pk: [[90] * 4], b.pk: [[80] * 4], c.pk: [[70] * 4]})
    ranking.stage_close(actor=reviewer, stage=first_stage)
    configuration.stage_open(actor=reviewer, stage=second_stage)
    plan = assigning.assignments_auto(actor=reviewer, stage=second_stage)
    assert {assignment.application_id for assignment in plan.created} == {a.pk, b.pk}

    score_all(second_stage, {a.pk: [[50]], b.pk: [[60]]})

    assert in_rank_order(call) == [b.pk, a.pk, c.pk]  # c had 70 but stopped at the first stage


@pytest.mark.parametrize("size", [3, 30])
def test_recomputing_after_a_score_takes_the_same_queries_whatever_the_call(
    gpu_pool, operator, reviewer, evaluators, size
):
    call = evaluated_call(gpu_pool, operator, applications=size)
    stage = open_stage(call, operator, reviewer, evaluators_per_application=1)
    assigning.assignments_auto(actor=reviewer, stage=stage)
    assignment = Assignment.objects.filter(stage=stage).first()
    submit_sheet(assignment, [80, 80, 80, 80])
    application = assignment.application

    with CaptureQueriesContext(connection) as queries:
        ranking.ranking_recompute(application=application, stage=stage)

    # The call's lock, the rubric, the scores, the result (read, write), the application's
    # UPDATE (the triggers re-rank inside it) and the savepoints of the two atomic blocks.
    assert len(queries) <= 10
