"""Demo data after the award: what follows the 2021 calls, and a call in service today.

- the 2021 awards (the full service and the pilot) have their progress and final reports, most
  filed and a few overdue (the open call's queue shows them for the organisations that apply
  again), and their satisfaction survey, answered by about seven organisations in ten;
- a call whose service period runs today, in which 데모 AI 주식회사 and five sample organisations
  were granted GPUs, storage and development environments: the progress report is due (the
  service passed its midpoint), the demo applicant has asked to extend the GPU allocation and
  a sample organisation to add GPUs, both awaiting a reviewer.

Idempotent: the 2021 follow-up is keyed on the awards (a second run adds nothing); the call in
service is created on the first run, with dates around that day, and left as it is afterwards
(its reports and requests then move on as they would: the beat jobs take them from there).
"""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNTS
from accounts.models import User
from aftercare import schedule, selectors, services
from aftercare.models import ChangeRequest, ChangeRequestTransition, Report, SurveyInvitation, SurveyResponse
from allocations.models import Allocation, AllocationTransition
from allocations.services import decisions, provisioning
from applications import services as application_services
from applications.models import Application, ApplicationItem, ApplicationTransition, Call, CallOffering, Organization
from pool.models import Offering

SEOUL = ZoneInfo("Asia/Seoul")

CURRENT_CALL_TITLE = "국가 AI 데이터센터 자원 지원 사업 정기 공고 (서비스 진행 중)"
CURRENT_CALL_DESCRIPTION = """\
국가 AI 데이터센터의 GPU, 스토리지와 AI 개발환경을 6개월 동안 지원하는 정기 공고입니다. \
선정 기관은 서비스 기간의 중간에 중간 보고서를, 종료 후 30일 안에 결과 보고서를 제출합니다. \
자원이 더 필요하면 서비스 기간 중에 연장이나 추가 배정을 신청할 수 있습니다."""
CURRENT_MAXIMA = {Offering.Kind.GPU: 8, Offering.Kind.STORAGE: 100, Offering.Kind.AI_DEV_ENV: 10}
CURRENT_SAMPLE_AWARDS = 5

FILED_PROGRESS = 0.92
FILED_FINAL = 0.85
ANSWERED = 0.7

COMMENTS = (
    "GPU 대기 없이 바로 학습을 시작할 수 있어 좋았습니다.",
    "스토리지 속도가 빨라 대용량 데이터 전처리 시간이 크게 줄었습니다.",
    "개발환경 초기 설정 안내가 조금 더 자세했으면 합니다.",
    "교육 프로그램이 실무에 도움이 되었습니다. 심화 과정도 열어 주세요.",
    "서비스 기간이 짧아 연장 신청 절차가 더 간단했으면 합니다.",
    "기술 지원 문의에 대한 답변이 빨랐습니다.",
    "데이터레이크 사용법 자료가 부족했습니다.",
    "",
    "",
    "",
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


def seed_demo_aftercare() -> dict[str, int]:
    """Seed the follow-up of the 2021 awards and the call in service. Idempotent."""
    _seed_2021_follow_up()
    _seed_call_in_service()
    return {
        "reports": Report.objects.count(),
        "overdue_reports": selectors.overdue_reports().count(),
        "survey_responses": SurveyResponse.objects.count(),
        "change_requests": ChangeRequest.objects.filter(status=ChangeRequest.Status.SUBMITTED).count(),
    }


# --- The 2021 awards ----------------------------------------------------------------------------


@transaction.atomic
def _seed_2021_follow_up() -> None:
    from applications.demo import HISTORIC_CALL_TITLE, PILOT_CALL_TITLE

    awards = (
        selectors.awards()
        .filter(call__title__in=[HISTORIC_CALL_TITLE, PILOT_CALL_TITLE], holding=0, award_ends_on__isnull=False)
        .select_related("organization", "call")
        .order_by("pk")
    )
    reported = set(Report.objects.values_list("application_id", "kind"))
    surveyed = set(SurveyInvitation.objects.values_list("application_id", flat=True))
    reports, invitations, answers = [], [], []
    for award in awards:
        rng = random.Random(f"aftercare-{award.organization.registration_number}-{award.call_id}")
        start, end = award.award_starts_on, award.award_ends_on
        if (end - start).days + 1 >= schedule.PROGRESS_REPORT_MIN_DAYS and (award.pk, "progress") not in reported:
            middle = schedule.midpoint(start, end)
            reports.append(
                _past_report(award, Report.Kind.PROGRESS, middle, middle + schedule.PROGRESS_REPORT_DUE_AFTER, rng)
            )
        if (award.pk, "final") not in reported:
            reports.append(
                _past_report(
                    award, Report.Kind.FINAL, end + timedelta(days=1), end + schedule.FINAL_REPORT_DUE_AFTER_END, rng
                )
            )
        if award.pk not in surveyed:
            invitation = SurveyInvitation(
                application=award,
                organization=award.organization,
                call=award.call,
                occasion=SurveyInvitation.Occasion.PILOT_ENDED
                if award.call.is_pilot
                else SurveyInvitation.Occasion.SERVICE_ENDED,
                invited_at=_at(end + timedelta(days=1), 10),
            )
            invitations.append(invitation)
            if rng.random() < ANSWERED:
                answers.append((invitation, rng))
            else:
                invitation.reminded_at = _at(end + timedelta(days=8), 10)
    Report.objects.bulk_create(reports)
    SurveyInvitation.objects.bulk_create(invitations)
    SurveyResponse.objects.bulk_create(_past_answer(invitation, rng) for invitation, rng in answers)


def _past_report(award: Application, kind: str, requested_on: date, due_on: date, rng: random.Random) -> Report:
    filed = rng.random() < (FILED_PROGRESS if kind == Report.Kind.PROGRESS else FILED_FINAL)
    report = Report(
        application=award,
        organization=award.organization,
        kind=kind,
        period_starts_on=award.award_starts_on,
        period_ends_on=award.award_ends_on,
        requested_on=requested_on,
        due_on=due_on,
    )
    if filed:
        report.status = Report.Status.SUBMITTED
        report.submitted_at = _at(due_on - timedelta(days=rng.randint(0, 12)), rng.randint(9, 18))
        title = award.project_title
        if kind == Report.Kind.PROGRESS:
            report.work_done = f"{title}: 데이터 정제와 기준 모델 학습을 마쳤고 하이퍼파라미터 탐색을 진행 중입니다."
            report.outcomes = f"기준 모델 정확도 {rng.randint(80, 90)}%, 목표 대비 진척도 {rng.randint(40, 60)}%."
        else:
            report.work_done = f"{title}: 모델 학습과 검증을 마치고 현장 실증을 진행했습니다."
            report.outcomes = f"최종 모델 정확도 {rng.randint(88, 97)}%, 실증 고객사 {rng.randint(1, 5)}곳."
            report.publications = rng.choice(("", "국내 학술대회 논문 1편", "특허 출원 1건", "서비스 출시 1건"))
    return report


def _past_answer(invitation: SurveyInvitation, rng: random.Random) -> SurveyResponse:
    def rating(used: float = 1.0) -> int | None:
        return rng.choices((5, 4, 3, 2, 1), weights=(35, 40, 15, 7, 3))[0] if rng.random() < used else None

    return SurveyResponse(
        invitation=invitation,
        organization=invitation.organization,
        application=invitation.application,
        call=invitation.call,
        rating_compute=rating(),
        rating_dev_env=rating(0.7),
        rating_data_saas=rating(0.4),
        rating_support=rating(0.9),
        comments=rng.choice(COMMENTS),
        submitted_at=invitation.invited_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8)),
    )


# --- A call in service today --------------------------------------------------------------------


def _seed_call_in_service() -> None:
    if Call.objects.filter(title=CURRENT_CALL_TITLE).exists():
        return  # created on an earlier run; what happened since is the demo's own history
    from applications.demo import DEMO_ORGANIZATION_NAME, HISTORIC_CALL_TITLE

    demo_organization = Organization.objects.filter(legal_name=DEMO_ORGANIZATION_NAME).first()
    applicant_email = next(account.email for account in DEMO_ACCOUNTS if account.role == "applicant")
    applicant = User.objects.filter(email=applicant_email).first()
    if demo_organization is None or applicant is None:
        return
    today = timezone.localdate()
    starts_on = today - timedelta(days=100)
    ends_on = starts_on + timedelta(days=182)  # six months, past its midpoint today
    call = _create_call(starts_on, ends_on)
    if demo_organization.created_at > call.opens_at:
        Organization.objects.filter(pk=demo_organization.pk).update(created_at=call.opens_at - timedelta(days=3))
    samples = list(
        Organization.objects.filter(
            applications__call__title=HISTORIC_CALL_TITLE, applications__status=Application.Status.APPROVED
        ).order_by("pk")[:CURRENT_SAMPLE_AWARDS]
    )
    rng = random.Random("aftercare-call-in-service")
    offerings = {offering.kind: offering for offering in Offering.objects.filter(kind__in=list(CURRENT_MAXIMA))}
    awards = []
    for number, organization in enumerate([demo_organization, *samples]):
        requests = (
            [(Offering.Kind.GPU, 4), (Offering.Kind.STORAGE, 20), (Offering.Kind.AI_DEV_ENV, 3)]
            if organization == demo_organization
            else [(Offering.Kind.GPU, rng.choice((1, 2, 4))), (Offering.Kind.STORAGE, rng.choice((10, 20, 50)))]
        )
        submitted_at = call.deadline - timedelta(days=number + 1, hours=rng.randint(1, 6))
        awards.append(_award(call, organization, offerings, requests, submitted_at))
    _date_decisions(call)

    # The demo applicant asks for two more months of GPUs; a sample organisation for two more GPUs.
    demo_gpu = Allocation.objects.get(application_item__application=awards[0], offering__kind=Offering.Kind.GPU)
    services.change_request_submit(
        actor=applicant,
        allocation=demo_gpu,
        kind=ChangeRequest.Kind.EXTENSION,
        ends_on=demo_gpu.ends_on + timedelta(days=61),
        justification=(
            "흉부 X선 판독 보조 모델의 외부 검증 데이터가 예정보다 늦게 확보되어, 재학습과 검증에 "
            "두 달이 더 필요합니다. 현재 정확도 91%, 목표 95%."
        ),
    )
    if len(awards) > 1:
        sample_gpu = Allocation.objects.get(application_item__application=awards[1], offering__kind=Offering.Kind.GPU)
        request = ChangeRequest.objects.create(
            allocation=sample_gpu,
            organization=sample_gpu.organization,
            kind=ChangeRequest.Kind.SUPPLEMENT,
            current_ends_on=sample_gpu.ends_on,
            current_quantity=sample_gpu.quantity,
            requested_units=2,
            justification="모델 규모를 키우면서 분산 학습에 GPU 2장이 더 필요합니다.",
            submitted_at=timezone.now() - timedelta(days=2),
        )
        ChangeRequestTransition.objects.create(
            change_request=request, from_status="", to_status=request.status, created_at=request.submitted_at
        )
    services.reports_request_due(today=today)  # the progress reports, due soon; the members are e-mailed


def _create_call(starts_on: date, ends_on: date) -> Call:
    call = Call.objects.create(
        title=CURRENT_CALL_TITLE,
        description=CURRENT_CALL_DESCRIPTION,
        opens_at=_at(starts_on - timedelta(days=50), 9),
        deadline=_at(starts_on - timedelta(days=20), 18),
        service_starts_on=starts_on,
        service_ends_on=ends_on,
        selection_target=20,
    )
    for offering in Offering.objects.filter(kind__in=list(CURRENT_MAXIMA)):
        CallOffering.objects.create(call=call, offering=offering, max_per_application=CURRENT_MAXIMA[offering.kind])
    application_services.priority_policy_defaults(call)
    return call


def _award(call: Call, organization: Organization, offerings: dict, requests: list, submitted_at: datetime):
    """A submitted application with its history, approved and provisioned by the engine."""
    from applications.demo import TOPICS

    created_at = submitted_at - timedelta(days=2)
    title = TOPICS.get(organization.industry, ("AI 모델 고도화",))[0]
    application = Application.objects.create(
        organization=organization,
        call=call,
        status=Application.Status.SUBMITTED,
        submitted_at=submitted_at,
        purpose=Application.Purpose.TRAINING,
        project_title=title,
        summary=f"{title} 모델을 학습하고 검증합니다.",
        plan="1~2개월: 데이터 정제, 3~4개월: 모델 학습, 5~6개월: 검증과 실증.",
        expected_outcome="현장 실증을 거쳐 서비스를 상용화합니다.",
        industry_domain=organization.industry,
    )
    Application.objects.filter(pk=application.pk).update(created_at=created_at, updated_at=submitted_at)
    for kind, quantity in requests:
        ApplicationItem.objects.create(
            application=application,
            offering=offerings[kind],
            quantity=quantity,
            starts_on=call.service_starts_on,
            ends_on=call.service_ends_on,
        )
    ApplicationTransition.objects.bulk_create(
        [
            ApplicationTransition(application=application, from_status="", to_status="draft", created_at=created_at),
            ApplicationTransition(
                application=application, from_status="draft", to_status="submitted", created_at=submitted_at
            ),
        ]
    )
    for allocation in decisions.application_approve(actor=None, application=application):
        provisioning.allocation_provision(allocation_id=allocation.pk)
    return application


def _date_decisions(call: Call) -> None:
    """As for the 2021 calls: reviewed a week after the deadline, provisioned on the first day."""
    reviewed = call.deadline + timedelta(days=7)
    provisioned = _at(call.service_starts_on, 9)
    ApplicationTransition.objects.filter(application__call=call, to_status="approved").update(created_at=reviewed)
    allocations = Allocation.objects.filter(application_item__application__call=call)
    transitions = AllocationTransition.objects.filter(allocation__in=allocations)
    transitions.filter(to_state="pending").update(created_at=reviewed)
    transitions.filter(to_state__in=["provisioning", "active"]).update(created_at=provisioned)
    allocations.update(created_at=reviewed, state_changed_at=provisioned)
