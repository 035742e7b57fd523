"""After the award, told day by day: the beat's jobs on each day they had work, and what the
organisations did between them.

The beat (hourly in production) expires allocations after their last day, sends the expiry
reminders, asks for the progress report at an award's midpoint and the final report after its
end, reminds of reports due and overdue, and invites to the satisfaction survey once an award
(or a pilot call) has ended. The story runs these same services on each day one of them has
something to do (``today=`` that day), in date order, and in between the organisations file
their reports (``report_submit``) and answer the survey (``survey_respond``) as planned here:
most reports filed in the fortnight before they are due, a few never (they show as overdue),
about seven surveys in ten answered; the pilot's eleven organisations, whom the operator followed
closely, filed and answered everything. Plans are drawn from a random generator seeded with the
organisation and the call, so every run plans the same.
"""

import heapq
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from accounts.models import User
from aftercare import schedule
from aftercare.models import ChangeRequest, Report, SurveyInvitation
from aftercare.services import (
    change_request_submit,
    report_reminders_send,
    report_submit,
    reports_request_due,
    survey_reminders_send,
    survey_respond,
    surveys_invite_due,
)
from allocations import emails as allocation_emails
from allocations import selectors as allocation_selectors
from allocations.models import Allocation
from allocations.services import release
from applications.models import Call, Organization
from demo.calls import SEOUL, at
from demo.organisations import owner_of
from demo.timeline import Timeline
from pool.models import Offering

# The beat's first run of a day, in Asia/Seoul: the day's jobs are told at this time.
BEAT_AT = time(0, 15)
EXPIRED_REASON = "The service period ended."  # what the beat's expiry job records

FILED: dict[str, float] = {Report.Kind.PROGRESS: 0.92, Report.Kind.FINAL: 0.85}
ANSWERED = 0.7
COMMENTS = (
    "GPU 대기 없이 바로 학습을 시작할 수 있어 좋았습니다.",
    "저장공간 속도가 빨라 대용량 데이터 전처리 시간이 크게 줄었습니다.",
    "개발환경 초기 설정 안내가 조금 더 자세했으면 합니다.",
    "교육 프로그램이 실무에 도움이 되었습니다. 심화 과정도 열어 주세요.",
    "서비스 기간이 짧아 연장 신청 절차가 더 간단했으면 합니다.",
    "기술 지원 문의에 대한 답변이 빨랐습니다.",
    "데이터레이크 사용법 자료가 부족했습니다.",
    "",
    "",
    "",
)


def beat_moment(day: date) -> datetime:
    return datetime.combine(day, BEAT_AT, tzinfo=SEOUL)


# --- The agenda ---------------------------------------------------------------------------------


@dataclass(order=True)
class _Event:
    moment: datetime
    sequence: int
    run: Callable[[], None] = field(compare=False)


class _Agenda:
    """Days the beat has work, and the organisations' actions, in the order they happened, from
    ``since`` up to ``until``."""

    def __init__(self, since: datetime, until: datetime) -> None:
        self.since, self.until = since, until
        self._events: list[_Event] = []
        self._beat_days: set[date] = set()
        self._sequence = 0

    def add(self, moment: datetime, run: Callable[[], None]) -> None:
        if self.since < moment < self.until:
            self._sequence += 1
            heapq.heappush(self._events, _Event(moment, self._sequence, run))

    def beat(self, day: date, run: Callable[[date], None]) -> None:
        if day not in self._beat_days and self.since < beat_moment(day) < self.until:
            self._beat_days.add(day)
            self.add(beat_moment(day), lambda: run(day))

    def __iter__(self) -> Iterator[_Event]:
        while self._events:
            yield heapq.heappop(self._events)


def follow_up(*, call: Call, timeline: Timeline, since: datetime, until: datetime) -> None:
    """Tell what followed the awards of ``call`` after ``since`` (they were provisioned) and
    before ``until`` (the present)."""
    agenda = _Agenda(since, until)

    def beat(today: date) -> None:
        with timeline.at(beat_moment(today)):
            requested, invited = _run_beat(today)
        for report in requested:
            agenda.beat(report.due_on - schedule.REMINDER_BEFORE_DUE, beat)
            agenda.beat(report.due_on + timedelta(days=1), beat)
            _plan_filing(agenda, timeline, call, report)
        for invitation in invited:
            agenda.beat(today + schedule.SURVEY_REMINDER_AFTER, beat)
            _plan_answer(agenda, timeline, call, invitation, today)
        if invited:
            timeline.backdate()  # the survey reminders read when the invitation went out

    allocations = Allocation.objects.filter(application_item__application__call=call)
    for starts_on, ends_on in _award_periods(call):
        agenda.beat(schedule.midpoint(starts_on, ends_on), beat)
    for ends_on in set(allocations.values_list("ends_on", flat=True)):
        for days_before in allocation_emails.REMINDER_DAYS:
            agenda.beat(ends_on - timedelta(days=days_before), beat)
        agenda.beat(ends_on + timedelta(days=1), beat)
    if call.is_pilot:
        agenda.beat(call.service_ends_on + timedelta(days=1), beat)
    for event in agenda:
        event.run()


def _award_periods(call: Call) -> set[tuple[date, date]]:
    periods: dict[int, tuple[date, date]] = {}
    allocations = Allocation.objects.filter(application_item__application__call=call)
    for application_id, starts_on, ends_on in allocations.values_list(
        "application_item__application_id", "starts_on", "ends_on"
    ):
        first, last = periods.get(application_id, (starts_on, ends_on))
        periods[application_id] = (min(first, starts_on), max(last, ends_on))
    return set(periods.values())


def _run_beat(today: date) -> tuple[list[Report], list[SurveyInvitation]]:
    """The beat's jobs of one day (``allocations.tasks``, ``aftercare.tasks``), through the
    services they call."""
    for allocation in allocation_selectors.allocations_to_expire(today).order_by("pk"):
        release.allocation_release(
            actor=None, allocation=allocation, to_state=Allocation.State.EXPIRED, reason=EXPIRED_REASON
        )
    allocation_emails.send_due_expiry_reminders(today)
    requested = reports_request_due(today=today)
    report_reminders_send(today=today)
    invited = surveys_invite_due(today=today)
    survey_reminders_send(today=today)
    return requested, invited


# --- What the organisations did -----------------------------------------------------------------


def _plan(*parts: object) -> random.Random:
    return random.Random("-".join(str(part) for part in parts))


def _plan_filing(agenda: _Agenda, timeline: Timeline, call: Call, report: Report) -> None:
    """Most reports are filed in the fortnight before they are due; some never are."""
    organization = report.organization
    rng = _plan("report", organization.registration_number, call.title, report.kind)
    if not call.is_pilot and rng.random() >= FILED[report.kind]:
        return
    moment = at(report.due_on - timedelta(days=rng.randint(0, 12)), rng.randint(9, 18), rng.randint(0, 59))
    title = report.application.project_title
    if report.kind == Report.Kind.PROGRESS:
        work_done = f"{title}: 데이터 정제와 기준 모델 학습을 마쳤고 하이퍼파라미터 탐색을 진행 중입니다."
        outcomes = f"기준 모델 정확도 {rng.randint(80, 90)}%, 목표 대비 진척도 {rng.randint(40, 60)}%."
        publications = ""
    else:
        work_done = f"{title}: 모델 학습과 검증을 마치고 현장 실증을 진행했습니다."
        outcomes = f"최종 모델 정확도 {rng.randint(88, 97)}%, 실증 고객사 {rng.randint(1, 5)}곳."
        publications = rng.choice(("", "국내 학술대회 논문 1편", "특허 출원 1건", "서비스 출시 1건"))

    def file() -> None:
        with timeline.at(moment):
            report_submit(
                actor=owner_of(organization),
                report=report,
                work_done=work_done,
                outcomes=outcomes,
                publications=publications,
            )

    agenda.add(moment, file)


def _plan_answer(
    agenda: _Agenda, timeline: Timeline, call: Call, invitation: SurveyInvitation, invited_on: date
) -> None:
    """About seven organisations in ten answer within three weeks (the pilot's within a week)."""
    organization = invitation.organization
    rng = _plan("survey", organization.registration_number, call.title)
    if not call.is_pilot and rng.random() >= ANSWERED:
        return
    moment = at(invited_on + timedelta(days=rng.randint(1, 6 if call.is_pilot else 20)), rng.randint(9, 20))

    def rating(used: float = 1.0) -> int | None:
        return rng.choices((5, 4, 3, 2, 1), weights=(35, 40, 15, 7, 3))[0] if rng.random() < used else None

    ratings = {
        "rating_compute": rating(),
        "rating_dev_env": rating(0.7),
        "rating_data_saas": rating(0.4),
        "rating_support": rating(0.9),
    }
    comments = rng.choice(COMMENTS)

    def answer() -> None:
        with timeline.at(moment):
            survey_respond(actor=owner_of(organization), invitation=invitation, ratings=ratings, comments=comments)

    agenda.add(moment, answer)


# --- Requests to change an award ----------------------------------------------------------------

EXTENSION_JUSTIFICATION = (
    "흉부 X선 판독 보조 모델의 외부 검증 데이터가 예정보다 늦게 확보되어, 재학습과 검증에 "
    "두 달이 더 필요합니다. 현재 정확도 91%, 목표 95%."
)
SUPPLEMENT_JUSTIFICATION = "모델 규모를 키우면서 분산 학습에 GPU 2장이 더 필요합니다."


def request_changes(
    *, call: Call, timeline: Timeline, now: datetime, demo: Organization, sample: Organization, applicant: User
) -> None:
    """A sample organisation asked two days ago for two more GPUs; 데모 AI 주식회사 asks, yesterday,
    to extend its GPUs by two months. Both await a reviewer."""
    sample_gpu = _gpu_allocation(call, sample)
    with timeline.at(now - timedelta(days=2)):
        change_request_submit(
            actor=owner_of(sample),
            allocation=sample_gpu,
            kind=ChangeRequest.Kind.SUPPLEMENT,
            units=2,
            justification=SUPPLEMENT_JUSTIFICATION,
        )
    demo_gpu = _gpu_allocation(call, demo)
    with timeline.at(now - timedelta(days=1)):
        change_request_submit(
            actor=applicant,
            allocation=demo_gpu,
            kind=ChangeRequest.Kind.EXTENSION,
            ends_on=demo_gpu.ends_on + timedelta(days=61),
            justification=EXTENSION_JUSTIFICATION,
        )


def _gpu_allocation(call: Call, organization: Organization) -> Allocation:
    return Allocation.objects.get(
        application_item__application__call=call, organization=organization, offering__kind=Offering.Kind.GPU
    )
