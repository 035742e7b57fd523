"""Operators set how a call selects, its stages and rubrics (services/configuration.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.errors import EvaluationError
from evaluation.models import CallEvaluation, EvaluationPolicyChange, Stage, StageTransition
from evaluation.services import configuration
from portal.errors import NotAllowed
from tests.allocations.conftest import make_call
from tests.evaluation.conftest import RUBRIC, evaluated_call, open_stage

pytestmark = pytest.mark.django_db


def rules(**fields):
    fields.setdefault("name", "서면평가")
    fields.setdefault("deadline", timezone.now() + timedelta(days=7))
    return configuration.StageRules(**fields)


def test_an_operator_makes_a_call_evaluated_with_a_reserved_gwangju_share(gpu_pool, operator):
    call = make_call(gpu_pool)

    policy = configuration.call_evaluation_set(
        actor=operator, call=call, mode="evaluated", reserved_claim="gwangju_located", reserved_percent=50
    )

    assert policy.is_evaluated and policy.has_reserved_share
    change = EvaluationPolicyChange.objects.get(call=call)
    assert change.actor == operator
    assert "mode: evaluated" in change.after and "gwangju_located 50%" in change.after


def test_setting_the_same_policy_again_records_nothing(gpu_pool, operator):
    call = make_call(gpu_pool)
    configuration.call_evaluation_set(actor=operator, call=call, mode="evaluated")
    configuration.call_evaluation_set(actor=operator, call=call, mode="evaluated")

    assert EvaluationPolicyChange.objects.filter(call=call).count() == 1


@pytest.mark.parametrize(
    ("claim", "percent"), [("gwangju_located", 0), ("", 50), ("gwangju_located", 101), ("nowhere", 10)]
)
def test_a_reserved_share_needs_its_group_and_a_percentage(gpu_pool, operator, claim, percent):
    with pytest.raises(EvaluationError):
        configuration.call_evaluation_set(
            actor=operator, call=make_call(gpu_pool), mode="evaluated", reserved_claim=claim, reserved_percent=percent
        )


def test_a_reviewer_does_not_configure_the_policy(gpu_pool, reviewer):
    with pytest.raises(NotAllowed):
        configuration.call_evaluation_set(actor=reviewer, call=make_call(gpu_pool), mode="evaluated")


def test_the_rubric_weights_must_sum_to_100(gpu_pool, operator):
    call = evaluated_call(gpu_pool, operator)
    stage = configuration.stage_save(actor=operator, call=call, rules=rules())

    with pytest.raises(EvaluationError, match="100"):
        configuration.rubric_set(
            actor=operator,
            stage=stage,
            criteria=[configuration.CriterionInput("기술성", 30), configuration.CriterionInput("사업성", 30)],
        )
    created = configuration.rubric_set(actor=operator, stage=stage, criteria=RUBRIC)

    assert [(criterion.name, criterion.weight) for criterion in created] == [
        ("기술성", 30),
        ("사업성/파급효과", 30),
        ("준비도", 20),
        ("자원 활용 계획의 적정성", 20),
    ]


def test_two_stages_in_order_and_the_second_opens_only_after_the_first_closes(gpu_pool, operator, reviewer):
    call = evaluated_call(gpu_pool, operator)
    first = configuration.stage_save(actor=operator, call=call, rules=rules(name="서면평가"))
    second = configuration.stage_save(actor=operator, call=call, rules=rules(name="발표평가", scale=5, pass_top=10))
    for stage in (first, second):
        configuration.rubric_set(actor=operator, stage=stage, criteria=RUBRIC)

    assert (first.order, second.order) == (1, 2)
    with pytest.raises(EvaluationError, match="earlier"):
        configuration.stage_open(actor=reviewer, stage=second)
    configuration.stage_open(actor=reviewer, stage=first)
    first.refresh_from_db()
    assert first.is_scoring and first.opened_at is not None
    assert StageTransition.objects.get(stage=first).to_state == Stage.State.SCORING


def test_a_stage_does_not_open_before_the_calls_deadline(gpu_pool, operator, reviewer):
    call = make_call(gpu_pool)  # open for two more weeks
    configuration.call_evaluation_set(actor=operator, call=call, mode="evaluated")
    stage = configuration.stage_save(actor=operator, call=call, rules=rules())
    configuration.rubric_set(actor=operator, stage=stage, criteria=RUBRIC)

    with pytest.raises(EvaluationError, match="deadline"):
        configuration.stage_open(actor=reviewer, stage=stage)


def test_an_open_stage_keeps_its_rubric_and_rules(gpu_pool, operator, reviewer):
    call = evaluated_call(gpu_pool, operator)
    stage = open_stage(call, operator, reviewer)

    with pytest.raises(EvaluationError):
        configuration.rubric_set(actor=operator, stage=stage, criteria=RUBRIC)
    with pytest.raises(EvaluationError):
        configuration.stage_save(actor=operator, call=call, stage=stage, rules=rules(name="다른 이름"))
    with pytest.raises(EvaluationError):
        configuration.stage_delete(actor=operator, stage=stage)


def test_an_evaluation_under_way_keeps_the_call_evaluated(gpu_pool, operator, reviewer):
    call = evaluated_call(gpu_pool, operator)
    open_stage(call, operator, reviewer)

    with pytest.raises(EvaluationError):
        configuration.call_evaluation_set(actor=operator, call=call, mode="priority")
    assert CallEvaluation.objects.get(call=call).is_evaluated


def test_removing_a_stage_moves_the_later_ones_up(gpu_pool, operator):
    call = evaluated_call(gpu_pool, operator)
    first, second, third = (
        configuration.stage_save(actor=operator, call=call, rules=rules(name=name))
        for name in ("요건 검토", "서면평가", "발표평가")
    )

    configuration.stage_delete(actor=operator, stage=second)

    assert list(Stage.objects.filter(call=call).values_list("name", "order")) == [("요건 검토", 1), ("발표평가", 2)]
