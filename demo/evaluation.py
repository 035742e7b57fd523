"""An evaluated call with its panel mid-way, told through the services as its people made it.

"2026년 AI 반도체·GPU 집중 지원 공고 (평가형)" closed three days ago with twelve applications of the
sample organisations. The operator set it to be decided by a panel (merit plus the priority
points as bonus, at least half of the selections reserved for organisations located in Gwangju)
with two stages (서면평가, then 발표평가 still being prepared); the reviewer invited six external
experts and the demo evaluator, opened the written stage and assigned three evaluators to each
application automatically. The portal flagged one conflict (an expert declared an affiliation
with one applicant, so it was never given to them); the experts have scored about half of their
applications, with a reason for every criterion; one expert, given two applications by hand with
an earlier due time, has missed it (a late evaluator, for the reviewer to reassign). The demo
evaluator (``evaluator@experts.test``: an address of no applicant's domain, as the portal flags a
shared domain as a conflict) has not accepted the confidentiality pledge yet: their
first login shows it, then their applications.

Idempotent: the call is found again by its title and told once.
"""

import random
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from applications.models import Call, PriorityClaim
from demo import calls
from demo.applying import _application, apply
from demo.calls import SEOUL, CallSpec
from demo.organisations import OrganizationSpec
from demo.timeline import Timeline
from evaluation.models import Assignment, CallEvaluation, ConflictDeclaration, Evaluator, Stage
from evaluation.services import assignment as assigning
from evaluation.services import configuration
from evaluation.services.invitations import evaluator_invitation_accept, evaluator_invite
from evaluation.services.pledges import pledge_accept
from evaluation.services.scoring import ScoreInput, assignment_submit, scores_save
from pool.models import Offering

EVALUATED_CALL_TITLE = "2026년 AI 반도체·GPU 집중 지원 공고 (평가형)"
EVALUATED_CALL_DESCRIPTION = """\
국산 AI 반도체와 GPU를 활용하는 기업·기관의 AI 모델 개발을 집중 지원합니다. 이 공고는 외부 평가위원의
서면평가와 발표평가로 선정하며, 우선 지원 요건의 점수는 가점으로 더합니다. 선정 기관의 절반 이상은
광주광역시 소재 기관으로 합니다. 평가 결과는 통보 후 7일 안에 한 번 이의신청할 수 있습니다."""
APPLICANTS = 12
RUBRIC = (
    configuration.CriterionInput("기술성", 30, "과제의 기술적 우수성과 독창성"),
    configuration.CriterionInput("사업성/파급효과", 30, "사업화 가능성과 산업·지역에 미치는 효과"),
    configuration.CriterionInput("준비도", 20, "데이터, 인력, 일정의 준비 정도"),
    configuration.CriterionInput("자원 활용 계획의 적정성", 20, "요청 자원의 규모와 활용 계획이 과제에 맞는지"),
)
# The experts the reviewer invited (name, affiliation, e-mail); the last one declared an
# affiliation with an applicant (filled in from the sample organisations: the conflict).
EXPERTS = (
    ("김서연", "광주과학기술원", "kim.seoyeon@experts.test"),
    ("이준호", "전남대학교", "lee.junho@experts.test"),
    ("박지민", "한국전자통신연구원", "park.jimin@experts.test"),
    ("최민수", "AI 반도체 포럼", "choi.minsu@experts.test"),
    ("정하늘", "정보통신산업진흥원", "jung.haneul@experts.test"),
    ("한도윤", "", "han.doyun@experts.test"),
)
REASONS = {
    "기술성": ("모델 구조와 학습 방법이 구체적이고 독창적입니다.", "선행 연구와의 차별점이 분명하지 않습니다."),
    "사업성/파급효과": ("수요처가 명확하고 지역 산업에 미치는 효과가 큽니다.", "사업화 경로가 구체적이지 않습니다."),
    "준비도": ("학습 데이터와 인력이 이미 확보되어 있습니다.", "데이터 확보 일정이 촉박합니다."),
    "자원 활용 계획의 적정성": ("요청한 GPU 규모가 학습 계획에 맞습니다.", "요청 자원이 계획에 비해 다소 많습니다."),
}


def evaluated_call_spec(now: datetime) -> CallSpec:
    today = now.astimezone(SEOUL).date()
    service_starts_on = today + timedelta(days=45)
    return CallSpec(
        title=EVALUATED_CALL_TITLE,
        description=EVALUATED_CALL_DESCRIPTION,
        opens_at=calls.at(today - timedelta(days=24), 9),
        deadline=calls.at(today - timedelta(days=3), 18),
        service_starts_on=service_starts_on,
        service_ends_on=service_starts_on + timedelta(days=181),
        selection_target=6,
        is_pilot=False,
        maxima=calls.FULL_MAXIMA,
        submitted_until=calls.at(today - timedelta(days=3), 18),
    )


def _expert(name: str, email: str) -> User:
    """An expert's account as they made it by signing up (verified address); they never log in
    in the demo, so no password is published."""
    user, _created = User.objects.get_or_create(email=email, defaults={"first_name": name})
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _invited(*, reviewer: User, user: User, name: str, affiliation: str) -> Evaluator:
    invitation = evaluator_invite(actor=reviewer, email=user.email, name=name, affiliation=affiliation)
    return evaluator_invitation_accept(actor=user, token=invitation.token)


def seed_evaluated_call(
    *,
    now: datetime,
    timeline: Timeline,
    offerings: dict[str, Offering],
    organizations: list[OrganizationSpec],
    operator: User,
    reviewer: User,
    evaluator: User,
) -> Call:
    """The evaluated call of the demo with its panel mid-way (see the module's docstring)."""
    call = Call.objects.filter(title=EVALUATED_CALL_TITLE).first()
    if call is not None:
        return call
    rng = random.Random("evaluated-call")
    spec = evaluated_call_spec(now)
    call = calls.open_past_call(spec, offerings, now)
    chosen = sorted(rng.sample(range(len(organizations)), APPLICANTS))
    applicants = [organizations[index] for index in chosen]
    for organization in applicants:
        # Submitted within the call's window, in the past (the window ends at its deadline).
        application = replace(_application(rng, organization, "evaluated", spec), call="evaluated")
        apply(application, call=call, offerings=offerings, timeline=timeline)
    timeline.backdate()
    calls.close_past_call(call, spec)

    configured_at = spec.deadline + timedelta(hours=15)
    with timeline.at(configured_at):
        configuration.call_evaluation_set(
            actor=operator,
            call=call,
            mode=CallEvaluation.Mode.EVALUATED,
            reserved_claim=PriorityClaim.Kind.GWANGJU_LOCATED,
            reserved_percent=50,
            objection_days=7,
        )
        written = configuration.stage_save(
            actor=operator,
            call=call,
            rules=configuration.StageRules(
                name="서면평가", deadline=now + timedelta(days=2), evaluators_per_application=3, pass_top=8
            ),
        )
        configuration.rubric_set(actor=operator, stage=written, criteria=RUBRIC)
        presentation = configuration.stage_save(
            actor=operator,
            call=call,
            rules=configuration.StageRules(
                name="발표평가", deadline=now + timedelta(days=12), evaluators_per_application=5
            ),
        )
        configuration.rubric_set(actor=operator, stage=presentation, criteria=RUBRIC)
    timeline.backdate()

    application_ids = list(call.applications.order_by("pk").values_list("pk", flat=True))
    with timeline.at(configured_at + timedelta(hours=1)):
        conflicted = call.applications.select_related("organization").get(pk=application_ids[3]).organization
        experts = []
        for number, (name, affiliation, email) in enumerate(EXPERTS):
            declared = affiliation or conflicted.legal_name
            expert = _invited(reviewer=reviewer, user=_expert(name, email), name=name, affiliation=declared)
            if number < len(EXPERTS) - 1:
                expert = pledge_accept(actor=expert.user, evaluator=expert)
            experts.append(expert)
        # The demo evaluator: invited like the experts, the pledge not accepted yet.
        _invited(reviewer=reviewer, user=evaluator, name="데모 평가위원", affiliation="데모 대학교")
    timeline.backdate()

    late = experts[2]
    with timeline.at(configured_at + timedelta(hours=2)):
        written = configuration.stage_open(actor=reviewer, stage=written)
        # Two applications given by hand to one expert for a first look, due yesterday (missed).
        for application_id in application_ids[:2]:
            assigning.assignment_create(
                actor=reviewer,
                stage=written,
                application=call.applications.get(pk=application_id),
                evaluator=late,
                due_at=now - timedelta(days=1),
            )
        assigning.assignments_auto(actor=reviewer, stage=written)
    timeline.backdate()

    _score_half(written, experts=[expert for expert in experts if expert != late], now=now, timeline=timeline)
    return call


def _score_half(stage: Stage, *, experts: list[Evaluator], now: datetime, timeline: Timeline) -> None:
    """Each expert (who accepted the pledge) scores about half of their applications since the
    stage opened: most submitted, the last one saved as a draft."""
    rng = random.Random("evaluated-call-scores")
    criteria = list(stage.criteria.order_by("order"))
    for offset, expert in enumerate(experts):
        if not expert.has_accepted_pledge:
            continue
        mine = list(
            Assignment.objects.filter(stage=stage, evaluator=expert, state=Assignment.State.ASSIGNED).order_by("pk")
        )
        for number, assignment in enumerate(mine[: (len(mine) + 1) // 2]):
            scores = {}
            for criterion in criteria:
                value = Decimal(rng.randint(55, 95))
                scores[criterion.pk] = ScoreInput(value, REASONS[criterion.name][0 if value >= 75 else 1])
            moment = now - timedelta(hours=30 - 3 * offset - number)
            with timeline.at(moment), transaction.atomic():
                if number == len(mine[: (len(mine) + 1) // 2]) - 1:
                    scores_save(actor=expert.user, assignment=assignment, scores=scores)
                else:
                    assignment_submit(actor=expert.user, assignment=assignment, scores=scores)
    timeline.backdate()


def summary(call: Call) -> str:
    """One line for ``seed_demo``'s report: the evaluated call's panel."""
    assignments = Assignment.objects.filter(stage__call=call)
    submitted = assignments.filter(state=Assignment.State.SUBMITTED).count()
    overdue = assignments.filter(state=Assignment.State.ASSIGNED, due_at__lt=timezone.now()).count()
    conflicts = ConflictDeclaration.objects.filter(application__call=call).count() + (
        ConflictDeclaration.objects.filter(organization__applications__call=call, application__isnull=True).count()
    )
    return (
        f"Evaluated call «{call.title}»: {call.applications.count()} applications, "
        f"{assignments.values('evaluator').distinct().count()} evaluators, {assignments.count()} assignments "
        f"({submitted} scored and submitted, {overdue} overdue), {conflicts} conflict flagged"
    )
