"""Builders for the evaluation's tests: an evaluated call past its deadline with submitted
applications, evaluators, a stage with its rubric open for scoring, and submitted scores.

Scoring itself is the evaluator's site (eval-site's ``services/scoring.py``); here a sheet is
written as that service leaves it (the scores, the assignment submitted) and the ranking is
recomputed as it asks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from evaluation.models import Assignment, Evaluator, Score, Stage
from evaluation.services import configuration, ranking
from tests.allocations.conftest import make_call, submitted_application
from tests.conftest import make_user

RUBRIC = [
    configuration.CriterionInput("기술성", 30),
    configuration.CriterionInput("사업성/파급효과", 30),
    configuration.CriterionInput("준비도", 20),
    configuration.CriterionInput("자원 활용 계획의 적정성", 20),
]


def make_evaluator(email: str, *, affiliation: str = "", number: str = "", **fields) -> Evaluator:
    user = make_user(email)
    return Evaluator.objects.create(
        user=user,
        name=fields.pop("name", email.split("@")[0]),
        affiliation=affiliation,
        affiliation_registration_number=number,
        email_domain=email.rpartition("@")[2].lower(),
        pledge_accepted_at=timezone.now(),
        **fields,
    )


def evaluated_call(gpu_pool, operator, *, applications: int = 0, reserved: tuple[str, int] = ("", 0), **fields):
    """A call closed yesterday, evaluated, with ``applications`` submitted ones (1 GPU each,
    submitted a minute apart)."""
    now = timezone.now()
    call = make_call(gpu_pool, opens_at=now - timedelta(days=20), deadline=now - timedelta(days=1), **fields)
    configuration.call_evaluation_set(
        actor=operator, call=call, mode="evaluated", reserved_claim=reserved[0], reserved_percent=reserved[1]
    )
    for n in range(applications):
        submitted_application(call, (gpu_pool, 1), submitted_at=now - timedelta(days=2, minutes=-n))
    return call


def open_stage(call, operator, reviewer, *, rubric=RUBRIC, **rules) -> Stage:
    rules.setdefault("name", "서면평가")
    rules.setdefault("deadline", timezone.now() + timedelta(days=7))
    stage = configuration.stage_save(actor=operator, call=call, rules=configuration.StageRules(**rules))
    configuration.rubric_set(actor=operator, stage=stage, criteria=rubric)
    return configuration.stage_open(actor=reviewer, stage=stage)


def submit_sheet(assignment: Assignment, values) -> Assignment:
    """The evaluator's scores (criterion order) saved and submitted, then the ranking recomputed."""
    criteria = list(assignment.stage.criteria.order_by("order"))
    for criterion, value in zip(criteria, values, strict=True):
        Score.objects.update_or_create(
            assignment=assignment, criterion=criterion, defaults={"value": Decimal(value), "reason": "근거"}
        )
    Assignment.objects.filter(pk=assignment.pk).update(state=Assignment.State.SUBMITTED, submitted_at=timezone.now())
    ranking.ranking_recompute(application=assignment.application, stage=assignment.stage)
    assignment.refresh_from_db()
    return assignment


@pytest.fixture
def evaluators(db):
    return [make_evaluator(f"expert{n}@univ{n}.ac.kr") for n in range(6)]
