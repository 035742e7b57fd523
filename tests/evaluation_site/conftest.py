"""A panel mid-way, for the evaluator's site and the applicant's side of the evaluation: an
evaluated call with a scoring stage and the four-criterion rubric of the Korean GPU calls,
submitted applications, and evaluators (external experts with an authenticator app, the pledge
accepted) assigned to them."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from applications.models import Application, Membership
from evaluation.models import Assignment, CallEvaluation, Criterion, Evaluator, Stage
from evaluation.services.scoring import ScoreInput
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.conftest import make_user
from tests.factories import MembershipFactory

RUBRIC = (("기술성", 30), ("사업성/파급효과", 30), ("준비도", 20), ("자원 활용 계획의 적정성", 20))


def make_evaluator(email: str, *, pledge: bool = True, second_factor: bool = True, name: str = "") -> Evaluator:
    user = make_user(email, second_factor=second_factor)
    return Evaluator.objects.create(
        user=user,
        name=name or email.split("@")[0],
        email_domain=email.rsplit("@", 1)[1],
        pledge_accepted_at=timezone.now() if pledge else None,
    )


def open_stage(call, *, order: int = 1, name: str = "서면평가", deadline=None, scale: int = 100) -> Stage:
    now = timezone.now()
    stage = Stage.objects.create(
        call=call,
        order=order,
        name=name,
        deadline=deadline or now + timedelta(days=5),
        scale=scale,
        state=Stage.State.SCORING,
        opened_at=now,
    )
    for position, (criterion, weight) in enumerate(RUBRIC, start=1):
        Criterion.objects.create(stage=stage, order=position, name=criterion, weight=weight)
    return stage


def assign(stage: Stage, application: Application, evaluator: Evaluator, *, due_at=None) -> Assignment:
    return Assignment.objects.create(
        stage=stage, application=application, evaluator=evaluator, due_at=due_at or stage.deadline
    )


def full_scores(stage: Stage, value: int = 80, reason: str = "근거가 충분합니다.") -> dict[int, ScoreInput]:
    return {criterion.pk: ScoreInput(Decimal(value), reason) for criterion in stage.criteria.all()}


@dataclass
class Panel:
    call: object
    stage: Stage
    applications: list[Application]
    evaluators: list[Evaluator]
    assignments: dict[tuple[int, int], Assignment] = field(default_factory=dict)

    def assignment(self, evaluator: Evaluator, application: Application) -> Assignment:
        return self.assignments[(evaluator.pk, application.pk)]


def make_panel(*, applications: int = 2, evaluators: int = 3, member=None) -> Panel:
    gpu = make_pool(100)
    call = make_call(gpu, max_per_application=8, title="2027년 GPU 지원 공고 (평가)")
    CallEvaluation.objects.create(call=call, mode=CallEvaluation.Mode.EVALUATED, objection_days=7)
    stage = open_stage(call)
    submitted = [submitted_application(call, (gpu, 2)) for _ in range(applications)]
    for application in submitted:
        application.project_title, application.plan = "의료 영상 판독 모델", "1단계 데이터 정제, 2단계 학습"
        application.save(update_fields=["project_title", "plan"])
    if member is not None:
        MembershipFactory(organization=submitted[0].organization, user=member, role=Membership.Role.OWNER)
    panel = Panel(call, stage, submitted, [make_evaluator(f"expert{n}@univ{n}.ac.kr") for n in range(evaluators)])
    for evaluator in panel.evaluators:
        for application in submitted:
            panel.assignments[(evaluator.pk, application.pk)] = assign(stage, application, evaluator)
    return panel


@pytest.fixture(autouse=True)
def _messages_in_english():
    # The services' refusals are read in English here (the portal's default language is Korean).
    with translation.override("en"):
        yield


@pytest.fixture
def panel(db, applicant) -> Panel:
    """Two applications (the first is the ``applicant``'s organisation's), three evaluators each."""
    return make_panel(member=applicant)
