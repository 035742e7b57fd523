"""Every e-mail the portal sends reads, in Korean, as a notice of 인공지능산업융합사업단 (issue #23):
the greeting (an organisation's 담당자님, never 귀하), who writes, what happened, the link alone on
its line, the contact (문의처) and the no-reply line, one subject prefix, dates with the weekday
and quantities with separators. Each e-mail is made by the real code path that sends it."""

import re
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from aftercare import emails as aftercare_emails
from aftercare import services as aftercare_services
from aftercare.models import ChangeRequest, Report
from allocations import emails as allocation_emails
from allocations.models import Allocation
from allocations.services import decisions
from applications import emails as application_emails
from applications.models import Invitation, Membership
from notifications.models import LanguagePreference, Notification
from pool.models import Offering
from tests.aftercare.conftest import grant
from tests.allocations.conftest import SERVICE_END, make_call, make_pool, submitted_application
from tests.conftest import PASSWORD
from tests.consents import CONSENTS
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

PREFIX = "[국가 AI 데이터센터] "
URL = re.compile(r"https?://\S+")
KOREAN_DAY = re.compile(r"\d{4}년 \d{1,2}월 \d{1,2}일\([월화수목금토일]\)")
ORGANIZATION = "해솔랩스 주식회사"
# 2031-01-01 is a Wednesday, 2031-03-31 a Monday (the calls of tests/allocations/conftest.py).
SERVICE_PERIOD = "2031년 1월 1일(수) ~ 2031년 3월 31일(월)"


def assert_notice(notification: Notification, *, greeting: str, link: bool = True) -> list[str]:
    """The notice structure of one recorded Korean e-mail; returns its lines."""
    subject, body = notification.subject, notification.body
    assert notification.language == "ko"
    assert subject.startswith(PREFIX) and subject.count("[국가 AI 데이터센터]") == 1, subject
    lines = body.splitlines()
    assert lines[0] == greeting, body
    assert lines[1] == "국가 AI 데이터센터를 운영하는 인공지능산업융합사업단입니다.", body
    assert "감사합니다." in lines
    assert f"문의처: 인공지능산업융합사업단 (이메일 {settings.SUPPORT_EMAIL})" in lines, body
    assert lines[-1].startswith("※ 본 메일은 발신 전용입니다."), body
    assert "귀하" not in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}|KST|Asia/Seoul|127\.0\.0\.1:\d+입니다", subject + body), body
    links = [line for line in lines if URL.search(line)]
    for line in links:
        assert URL.fullmatch(line), f"a link shares its line: {line!r}"
        assert line.startswith(settings.SITE_URL + "/")
    if link:
        assert links, body
        label = lines[lines.index(links[0]) - 1]
        assert label.endswith(":"), label  # says what the link opens, on the line above
    assert "\n\n\n" not in body and not any(line != line.rstrip() for line in lines)
    return lines


def dear(organization: str = ORGANIZATION) -> str:
    return f"{organization} 담당자님, 안녕하십니까."


def sent(kind: str) -> Notification:
    return Notification.objects.filter(kind=kind).latest("pk")


@pytest.fixture
def cpu_pool(db):
    return make_pool(600_000, name="CPU", kind=Offering.Kind.CPU, unit=Offering.Unit.CORE)


@pytest.fixture
def application(cpu_pool, storage_pool, applicant):
    call = make_call(cpu_pool, storage_pool, title="2031년 상반기 자원 지원 공고")
    application = submitted_application(call, (cpu_pool, 25_600), (storage_pool, 20))
    application.organization.legal_name = ORGANIZATION
    application.organization.save(update_fields=["legal_name"])
    MembershipFactory(organization=application.organization, user=applicant, role=Membership.Role.OWNER)
    return application


def test_the_submission_receipt(application):
    application_emails.send_submission_receipt(application)

    receipt = sent(Notification.Kind.SUBMISSION_RECEIPT)
    lines = assert_notice(receipt, greeting=dear())
    assert receipt.subject == f"{PREFIX}「2031년 상반기 자원 지원 공고」 신청서 접수 완료 안내"
    assert "「2031년 상반기 자원 지원 공고」에 제출하신 신청서가 접수되었습니다." in lines
    (received,) = [line for line in lines if line.startswith("- 접수일시: ")]
    assert re.fullmatch(r"- 접수일시: " + KOREAN_DAY.pattern + r" \d{2}:\d{2}", received), received
    assert f"- 접수번호: {application.pk}" in lines


def test_an_approval_in_part_lists_each_grant_with_its_request_and_period(application, reviewer):
    cpu, storage = application.items.order_by("pk")
    decisions.application_approve(
        actor=reviewer, application=application, grants={cpu.pk: 20_000, storage.pk: 20}, reason="용량 부족"
    )

    decision = sent(Notification.Kind.DECISION)
    lines = assert_notice(decision, greeting=dear())
    assert decision.subject == f"{PREFIX}「2031년 상반기 자원 지원 공고」 선정 결과 안내"
    assert f"- CPU: 배정 20,000 코어(신청 25,600 코어), {SERVICE_PERIOD}" in lines
    assert f"- Storage: 배정 20 TB(신청 20 TB), {SERVICE_PERIOD}" in lines
    assert "- 사유: 용량 부족" in lines
    assert "▶ 신청 현황 바로가기:" in lines


def test_a_wait_listed_applicant_is_told_the_rank_as_a_korean_notice_does(application, reviewer):
    decisions.application_waitlist(actor=reviewer, application=application, reason="용량 초과")

    lines = assert_notice(sent(Notification.Kind.DECISION), greeting=dear())
    assert any("예비 대상(예비 순위 1번)" in line for line in lines)


def test_a_rejection_thanks_the_applicant_and_points_to_the_contact(application, reviewer):
    decisions.application_reject(actor=reviewer, application=application, reason="사업 목적과 맞지 않음")

    lines = assert_notice(sent(Notification.Kind.DECISION), greeting=dear())
    assert any(line.startswith("아쉽게도 이번 공고에서는 선정되지 않았음을") for line in lines)
    assert "- 사유: 사업 목적과 맞지 않음" in lines
    assert "심사 결과에 대한 문의는 아래 문의처로 해 주시기 바랍니다." in lines


def award(call, offering, member) -> Allocation:
    """An approved, provisioned application of ORGANIZATION to ``call``, ``member`` its owner."""
    application, (allocation,) = grant(call, (offering, 4))
    application.organization.legal_name = ORGANIZATION
    application.organization.save(update_fields=["legal_name"])
    MembershipFactory(organization=application.organization, user=member, role=Membership.Role.OWNER)
    return allocation


@pytest.fixture
def allocation(gpu_pool, applicant) -> Allocation:
    return award(make_call(gpu_pool), gpu_pool, applicant)


def test_the_expiry_reminder(allocation):
    allocation_emails.send_due_expiry_reminders(today=allocation.ends_on - timedelta(days=7))

    reminder = sent(Notification.Kind.EXPIRY_REMINDER)
    lines = assert_notice(reminder, greeting=dear())
    assert reminder.subject == f"{PREFIX}A100 GPU 이용 종료 7일 전 안내(2031년 3월 31일(월) 종료)"
    assert "귀 기관에 할당된 A100 GPU 4 GPU의 이용 기간이 2031년 3월 31일(월)에 종료됩니다." in lines


def test_the_change_request_emails(allocation, applicant, reviewer):
    extension = aftercare_services.change_request_submit(
        actor=applicant,
        allocation=allocation,
        kind=ChangeRequest.Kind.EXTENSION,
        justification="학습 연장",
        ends_on=SERVICE_END + timedelta(days=30),
    )
    received = sent(Notification.Kind.CHANGE_REQUEST_RECEIVED)
    lines = assert_notice(received, greeting=dear())
    assert received.subject == f"{PREFIX}A100 GPU 기간 연장 신청 접수 안내"
    assert "- 기간 연장: 종료일 2031년 3월 31일(월) → 2031년 4월 30일(수)" in lines
    assert f"- 접수번호: {extension.pk}" in lines

    aftercare_services.change_request_approve(actor=reviewer, change_request=extension)
    decided = sent(Notification.Kind.CHANGE_REQUEST_DECISION)
    lines = assert_notice(decided, greeting=dear())
    assert decided.subject == f"{PREFIX}A100 GPU 변경 신청 처리 결과 안내"
    assert "기간 연장이 승인되었습니다. 변경된 종료일: 2031년 4월 30일(수)" in lines

    supplement = aftercare_services.change_request_submit(
        actor=applicant, allocation=allocation, kind=ChangeRequest.Kind.SUPPLEMENT, justification="추가", units=2
    )
    assert "- 추가 배정: 현재 4 GPU에서 2 GPU 추가 신청" in assert_notice(
        sent(Notification.Kind.CHANGE_REQUEST_RECEIVED), greeting=dear()
    )
    aftercare_services.change_request_reject(actor=reviewer, change_request=supplement, reason="여유 용량 없음")
    lines = assert_notice(sent(Notification.Kind.CHANGE_REQUEST_DECISION), greeting=dear())
    assert "신청하신 변경 사항이 반려되었습니다." in lines and "- 사유: 여유 용량 없음" in lines


def test_the_report_emails(allocation):
    (report,) = aftercare_services.reports_request_due(today=date(2031, 2, 14))  # halfway: a progress report
    requested = sent(Notification.Kind.REPORT_REQUESTED)
    lines = assert_notice(requested, greeting=dear())
    assert KOREAN_DAY.search(requested.subject), requested.subject
    assert f"- 서비스 기간: {SERVICE_PERIOD}" in lines
    assert "▶ 보고서 제출하기:" in lines

    for stage, kind in (("due_soon", Notification.Kind.REPORT_REMINDER), ("overdue", Notification.Kind.REPORT_OVERDUE)):
        aftercare_emails.report_stage(Report.objects.get(pk=report.pk), stage)
        notice = sent(kind)
        lines = assert_notice(notice, greeting=dear())
        assert any(KOREAN_DAY.search(line) for line in lines), notice.body


def test_the_survey_emails(gpu_pool, applicant):
    pilot = award(make_call(gpu_pool, is_pilot=True), gpu_pool, applicant)  # invited when the call's service ends
    (invitation,) = aftercare_services.surveys_invite_due(today=pilot.ends_on + timedelta(days=1))
    survey = sent(Notification.Kind.SURVEY_INVITATION)
    assert "▶ 만족도 조사 참여하기:" in assert_notice(survey, greeting=dear())

    aftercare_emails.survey_invitation(invitation, reminder=True)
    reminder = sent(Notification.Kind.SURVEY_REMINDER)
    assert_notice(reminder, greeting=dear())
    assert reminder.subject.startswith(f"{PREFIX}[재안내] 「")


def test_the_invitation_greets_a_person_not_an_organisation(applicant):
    organization = OrganizationFactory(legal_name=ORGANIZATION)
    invitation = Invitation.objects.create(organization=organization, email="new@example.kr", invited_by=applicant)

    with translation.override("ko"):
        application_emails.send_invitation(invitation.pk)

    lines = assert_notice(sent(Notification.Kind.INVITATION), greeting="안녕하십니까.")
    assert any(f"“{ORGANIZATION}”라는 이름으로 등록된 기관" in line for line in lines)


def account_email(address: str) -> Notification:
    return Notification.objects.filter(kind=Notification.Kind.ACCOUNT, recipient=address).latest("pk")


def test_the_sign_up_confirmation_is_the_portals_not_the_hosts(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "new.applicant@example.kr",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
            **CONSENTS,
        },
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    confirmation = account_email("new.applicant@example.kr")
    lines = assert_notice(confirmation, greeting="안녕하십니까.")
    assert confirmation.subject == f"{PREFIX}회원가입 이메일 인증 안내"
    link = lines[lines.index("▶ 이메일 인증하기:") + 1]
    assert re.fullmatch(re.escape(settings.SITE_URL) + r"/accounts/confirm-email/[^\s/]+/", link)


def test_the_password_reset_email(client, applicant):
    client.post(reverse("account_reset_password"), {"email": applicant.email})

    reset = account_email(applicant.email)
    lines = assert_notice(reset, greeting="안녕하십니까.")
    assert reset.subject == f"{PREFIX}비밀번호 재설정 안내"
    assert "/password/reset/key/" in lines[lines.index("▶ 비밀번호 재설정하기(1시간 동안 유효):") + 1]
    assert "암호" not in reset.body and "패스워드" not in reset.body


def test_a_reset_for_an_unknown_address_offers_the_sign_up(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.kr"}, HTTP_ACCEPT_LANGUAGE="ko")

    lines = assert_notice(account_email("nobody@example.kr"), greeting="안녕하십니까.")
    assert lines[lines.index("▶ 본인이 요청하셨다면 회원가입하기:") + 1].endswith(reverse("account_signup"))


def test_an_account_change_notice_dates_the_change_in_korean(client, applicant):
    client.force_login(applicant)
    new_password = "a-brand-new-passphrase-7"
    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    notice = account_email(applicant.email)
    lines = assert_notice(notice, greeting="안녕하십니까.", link=False)
    (when,) = [line for line in lines if line.startswith("- 일시: ")]
    assert re.fullmatch(r"- 일시: " + KOREAN_DAY.pattern + r" \d{2}:\d{2}", when), when


def test_the_contact_names_the_telephone_when_there_is_one(application, settings):
    settings.SUPPORT_PHONE = "062-000-0000"
    settings.SUPPORT_EMAIL = "help@portal.example.kr"

    application_emails.send_submission_receipt(application)

    assert "문의처: 인공지능산업융합사업단 (전화 062-000-0000, 이메일 help@portal.example.kr)" in (
        sent(Notification.Kind.SUBMISSION_RECEIPT).body.splitlines()
    )


def test_in_english_the_same_notice_reads_as_english(allocation, applicant):
    organization = allocation.organization
    organization.legal_name = "Haesol Labs Inc."
    organization.save(update_fields=["legal_name"])
    LanguagePreference.objects.create(user=applicant, language="en")

    allocation_emails.send_due_expiry_reminders(today=allocation.ends_on - timedelta(days=7))

    reminder = sent(Notification.Kind.EXPIRY_REMINDER)
    lines = reminder.body.splitlines()
    assert reminder.subject == "[National AI Data Center] A100 GPU ends in 7 days (31 March 2031)"
    assert lines[0] == "Dear Haesol Labs Inc.,"
    assert "Your allocation of 4 GPU of A100 GPU ends on 31 March 2031." in lines
    assert f"Contact: AI Industry Convergence Business Group (e-mail {settings.SUPPORT_EMAIL})" in lines
    assert lines[-1] == "This address does not receive replies; please write to the contact above."
    assert not re.search(r"[\uac00-\ud7a3]", reminder.subject + reminder.body)


def test_a_change_of_address_names_both_addresses_without_a_particle_after_them(client, applicant):
    EmailAddress.objects.create(user=applicant, email="new-address@example.kr", verified=True, primary=False)
    client.force_login(applicant)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    client.post(reverse("account_email"), {"action_primary": "", "email": "new-address@example.kr"})

    notice = account_email("applicant@example.kr")
    lines = assert_notice(notice, greeting="안녕하십니까.", link=False)
    assert notice.subject == f"{PREFIX}이메일 주소 변경 안내"
    assert "이메일 주소가 변경되었습니다(변경 전: applicant@example.kr, 변경 후: new-address@example.kr)." in lines


def test_the_reclaim_emails(gpu_pool, applicant, reviewer):
    from reclaim import services as reclaim_services
    from tests.reclaim.conftest import days_before, record_usage

    call = make_call(gpu_pool, title="2031년 상반기 자원 지원 공고")
    reclaim_services.reclaim_policy_set(actor=None, call=call, automatic="reduce")
    allocation = award(call, gpu_pool, applicant)
    today = date(2031, 3, 5)
    record_usage(allocation, dict.fromkeys(days_before(today, 60), 12))  # half a GPU of 4: 12.5 %

    [case] = reclaim_services.reclaim_candidates_mark(today=today)
    warning = Notification.objects.get(key__startswith="reclaim_warning:")
    lines = assert_notice(warning, greeting=dear())
    assert warning.subject == f"{PREFIX}유휴 자원 회수 사전 안내: A100 GPU(소명 기한: 2031년 3월 19일(수))"
    assert "- 소명 기한: 2031년 3월 19일(수)" in lines
    assert "- 할당 내역: 4 GPU, 2031년 1월 1일(수) ~ 2031년 3월 31일(월)" in lines
    assert "- 측정 결과: 2031년 2월 3일(월) ~ 2031년 3월 4일(화), 배정량 대비 활용률 12.5%" in lines
    assert "기한까지 소명하지 않으면 심사 없이 실사용 수량으로 할당을 감축합니다." in lines
    assert "▶ 소명하기:" in lines

    reclaim_services.reclaim_case_reduce(actor=reviewer, case=case, units=1, reason="계획 없음")
    decision = Notification.objects.get(key__startswith="reclaim_decision:")
    lines = assert_notice(decision, greeting=dear())
    assert decision.subject == f"{PREFIX}할당 감축 안내: A100 GPU"
    assert any(line.startswith("오늘부터 할당 수량을 감축합니다(회수 수량: 3, 감축 후 수량: 1 GPU).") for line in lines)
    assert "- 사유: 계획 없음" in lines
