"""The demo's calls: what each announces, when it runs, and creating and closing it as an
operator does in the admin (``review.admin.calls.CallAdmin``: the call and its offerings are
model saves there too, then the default priority policy).

In the order of their decisions: the 2021 pilot (시범 서비스, 11 organisations) and the 2021 call
(정식 서비스) mirroring the announcement; a small regular call whose service runs today (데모 AI
주식회사 holds an award there); a large call in service now, decided down to a wait-list; and an
open call (수시 모집) with a queue ready to review. The dates of the last three follow the day of
the first run; a later run leaves them as they are, but opens the next round of the open call
once the last one has closed.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from applications.models import Call, CallOffering
from applications.services import priority_policy_defaults
from pool.models import Offering

SEOUL = ZoneInfo("Asia/Seoul")

Kind = Offering.Kind

FULL_MAXIMA: dict[str, int] = {
    Kind.GPU: 8,
    Kind.CPU: 256,
    Kind.STORAGE: 100,
    Kind.AI_DEV_ENV: 10,
    Kind.DATA_LAKE: 50,
    Kind.SAAS: 20,
}
PILOT_MAXIMA: dict[str, int] = {Kind.GPU: 4, Kind.CPU: 128, Kind.STORAGE: 50, Kind.AI_DEV_ENV: 5}
# The call in service now asks for much more than 2021's: the 2024 pool is ten times larger.
CURRENT_SCALE: dict[str, int] = {
    Kind.GPU: 14,
    Kind.CPU: 100,
    Kind.STORAGE: 20,
    Kind.AI_DEV_ENV: 5,
    Kind.DATA_LAKE: 10,
    Kind.SAAS: 5,
}
CURRENT_MAXIMA: dict[str, int] = {kind: maximum * CURRENT_SCALE[kind] for kind, maximum in FULL_MAXIMA.items()}

# Stable titles: the calls are found again by title on every run.
OPEN_CALL_TITLE = "국가 AI 데이터센터 자원 지원 사업 수시 모집 공고"
HISTORIC_CALL_TITLE = "2021년 국가 AI 데이터센터 자원 지원 서비스 (정식 서비스)"
PILOT_CALL_TITLE = "2021년 국가 AI 데이터센터 시범 서비스"
CURRENT_CALL_TITLE = "국가 AI 데이터센터 자원 지원 서비스 (운영 중)"

OPEN_CALL_DESCRIPTION = """\
국가 AI 데이터센터가 인공지능 제품과 서비스를 개발하는 기관에 고성능 컴퓨팅 자원(GPU·CPU), 저장공간, \
AI 개발환경, 데이터레이크와 AI SaaS를 지원합니다. 제품 개발부터 상용 서비스 검증까지 필요한 자원을 신청하세요.

지원 대상: 인공지능 모델과 알고리즘의 학습·추론·분석에 컴퓨팅 자원이 필요한 중견·중소·벤처기업, \
공공기관과 대학교. 약 100개 기관을 선정합니다.

우선 지원: ① 광주광역시에 소재한 AI 기업 ② 본사·지사·연구소를 광주광역시로 이전할 계획이 있는 AI 기업 \
③ 인공지능 집적단지 조성사업 참여기업. 우선 지원 요건은 제출한 증빙 서류를 검토해 확인합니다. \
경기도 광주시는 광주광역시가 아니므로 해당하지 않습니다.

마감 시각(한국 시간)이 지나면 신청서를 제출할 수 없습니다."""

HISTORIC_CALL_DESCRIPTION = """\
인공지능산업융합사업단이 2021년 4월 15일부터 국가 AI 데이터센터의 자원을 지원합니다. \
고성능 컴퓨팅 자원, AI 개발환경, 데이터레이크와 SaaS 형태의 AI 서비스로 제품 개발부터 \
상용 서비스 검증까지 지원합니다. 2021년 자원 규모는 연산 8.85 PF(A100 GPU 5.5 PF), 저장공간 10.7 PB입니다.

지원 대상: 학습·추론·분석용 모델과 알고리즘을 개발하는 AI 중견·중소·벤처기업, 공공기관과 대학교. \
약 100개 기관을 선정합니다.

우선 지원: ① 광주 소재 AI 기업 ② 본사·지사·연구소의 광주 이전 계획이 있는 AI 기업 \
③ 인공지능 집적단지 사업 참여기업."""

CURRENT_CALL_DESCRIPTION = """\
지금 서비스 기간 중인 공고입니다. 선정된 기관이 GPU·CPU·저장공간와 AI 개발환경을 이용하고 있으며, \
자원이 부족해 선정되지 못한 기관은 순위대로 대기 중입니다.

우선 지원: ① 광주 소재 AI 기업 ② 본사·지사·연구소의 광주 이전 계획이 있는 AI 기업 \
③ 인공지능 집적단지 사업 참여기업."""

PILOT_CALL_DESCRIPTION = """\
정식 서비스에 앞서 자원이 시급한 11개 기관을 대상으로 2021년 2월 15일부터 3월 31일까지 \
시범 서비스를 운영합니다.

참여 기관의 설문과 만족도 조사 결과로 이용자 교육과 자원 할당 절차를 개선합니다."""

IN_SERVICE_CALL_TITLE = "국가 AI 데이터센터 자원 지원 사업 정기 공고 (서비스 진행 중)"
IN_SERVICE_CALL_DESCRIPTION = """\
국가 AI 데이터센터의 GPU, 저장공간와 AI 개발환경을 6개월 동안 지원하는 정기 공고입니다. \
선정 기관은 서비스 기간의 중간에 중간 보고서를, 종료 후 30일 안에 결과 보고서를 제출합니다. \
자원이 더 필요하면 서비스 기간 중에 연장이나 추가 배정을 신청할 수 있습니다."""
IN_SERVICE_MAXIMA: dict[str, int] = {Kind.GPU: 8, Kind.STORAGE: 100, Kind.AI_DEV_ENV: 10}


@dataclass(frozen=True)
class CallSpec:
    title: str
    description: str
    opens_at: datetime
    deadline: datetime
    service_starts_on: date
    service_ends_on: date
    selection_target: int
    is_pilot: bool
    maxima: dict[str, int]
    # The last moment a seeded application may have been submitted: the deadline, or now.
    submitted_until: datetime
    # Requested quantities are the sample quantities times this, per kind (a larger call).
    scale: dict[str, int] | None = None

    @property
    def reviewed_at(self) -> datetime:
        """When the reviewer verified the claims and decided: a week after the deadline, and at
        the latest the evening before the service starts."""
        return min(self.deadline + timedelta(days=7), at(self.service_starts_on - timedelta(days=1), 17))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


def _months_later(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def call_specs(now: datetime) -> dict[str, CallSpec]:
    """The five demo calls in the order they were decided; the open one placed around ``now``."""
    today = now.astimezone(SEOUL).date()
    open_service_starts_on = today + timedelta(days=30)
    in_service_starts_on = today - timedelta(days=100)
    return {
        "pilot": CallSpec(
            title=PILOT_CALL_TITLE,
            description=PILOT_CALL_DESCRIPTION,
            opens_at=at(date(2021, 1, 25), 9),
            deadline=at(date(2021, 2, 10), 18),
            service_starts_on=date(2021, 2, 15),
            service_ends_on=date(2021, 3, 31),
            selection_target=11,
            is_pilot=True,
            maxima=PILOT_MAXIMA,
            submitted_until=at(date(2021, 2, 10), 18),
        ),
        "historic": CallSpec(
            title=HISTORIC_CALL_TITLE,
            description=HISTORIC_CALL_DESCRIPTION,
            opens_at=at(date(2021, 3, 12), 9),
            deadline=at(date(2021, 4, 3), 18),
            service_starts_on=date(2021, 4, 15),
            service_ends_on=date(2021, 12, 31),
            selection_target=100,
            is_pilot=False,
            maxima=FULL_MAXIMA,
            submitted_until=at(date(2021, 4, 3), 18),
        ),
        # Decided before the large call in service, whose decisions then fill the GPUs; its six
        # months of service are past their midpoint today (the progress reports are due).
        "in_service": CallSpec(
            title=IN_SERVICE_CALL_TITLE,
            description=IN_SERVICE_CALL_DESCRIPTION,
            opens_at=at(in_service_starts_on - timedelta(days=140), 9),
            deadline=at(in_service_starts_on - timedelta(days=100), 18),
            service_starts_on=in_service_starts_on,
            service_ends_on=in_service_starts_on + timedelta(days=182),
            selection_target=20,
            is_pilot=False,
            maxima=IN_SERVICE_MAXIMA,
            submitted_until=at(in_service_starts_on - timedelta(days=100), 18),
        ),
        "current": CallSpec(
            title=CURRENT_CALL_TITLE,
            description=CURRENT_CALL_DESCRIPTION,
            opens_at=at(today - timedelta(days=200), 9),
            deadline=at(today - timedelta(days=180), 18),
            service_starts_on=today - timedelta(days=165),
            service_ends_on=today + timedelta(days=60),
            selection_target=100,
            is_pilot=False,
            maxima=CURRENT_MAXIMA,
            submitted_until=at(today - timedelta(days=180), 18),
            scale=CURRENT_SCALE,
        ),
        "open": CallSpec(
            title=OPEN_CALL_TITLE,
            description=OPEN_CALL_DESCRIPTION,
            opens_at=(now - timedelta(days=1)).replace(second=0, microsecond=0),
            deadline=at(today + timedelta(days=14), 18),
            service_starts_on=open_service_starts_on,
            service_ends_on=_months_later(open_service_starts_on, 6) - timedelta(days=1),
            selection_target=100,
            is_pilot=False,
            maxima=FULL_MAXIMA,
            submitted_until=now,
        ),
    }


# --- Creating and closing -----------------------------------------------------------------------


def create_call(spec: CallSpec, offerings: dict[str, Offering], *, opens_at: datetime, deadline: datetime) -> Call:
    """Add the call as an operator does in the admin: the call, its offerings with their maximum
    per application, and the default priority policy (``CallAdmin.save_related``)."""
    call = Call.objects.create(
        title=spec.title,
        description=spec.description,
        opens_at=opens_at,
        deadline=deadline,
        service_starts_on=spec.service_starts_on,
        service_ends_on=spec.service_ends_on,
        selection_target=spec.selection_target,
        is_pilot=spec.is_pilot,
    )
    for kind, maximum in spec.maxima.items():
        CallOffering.objects.create(call=call, offering=offerings[kind], max_per_application=maximum)
    priority_policy_defaults(call)
    return call


def open_past_call(spec: CallSpec, offerings: dict[str, Offering], now: datetime) -> Call:
    """A past call, created open now: its applications are submitted through the services, which
    check the deadline against the database's clock. ``close_past_call`` gives it its own dates."""
    return create_call(spec, offerings, opens_at=now - timedelta(minutes=1), deadline=now + timedelta(days=1))


def close_past_call(call: Call, spec: CallSpec) -> None:
    """Give a past call its own opening and deadline, as an operator's edit in the admin saves them."""
    call.opens_at, call.deadline = spec.opens_at, spec.deadline
    call.save()


def is_past_call_still_open(call: Call) -> bool:
    """A past call still open for its story: the demo opened it at seeding (after its service had
    begun) and has not closed it yet, because the story stopped half-way."""
    return call.deadline.date() >= call.service_starts_on


def open_round(now: datetime) -> Call | None:
    """The open call's round that is open now (or about to open), if any."""
    return Call.objects.filter(title=OPEN_CALL_TITLE, deadline__gte=now).order_by("-deadline").first()
