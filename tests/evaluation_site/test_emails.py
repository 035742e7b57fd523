"""The evaluation's e-mails read, in Korean, as every notice of 인공지능산업융합사업단 does
(tests/notifications/test_notices.py): the invitation to evaluate, the reminder before the
deadline, and the objection's receipt and decision; each made by the real code path."""

from datetime import timedelta

import pytest
from django.utils import translation

from allocations.services import decisions
from evaluation.models import Objection
from evaluation.services.invitations import evaluator_invite
from evaluation.services.objections import objection_decide, objection_file
from evaluation.services.reminders import evaluation_reminders_send
from notifications.models import Notification
from tests.notifications.test_notices import KOREAN_DAY, PREFIX, assert_notice, dear, sent

pytestmark = pytest.mark.django_db


def test_the_invitation_to_evaluate_greets_the_expert_by_name(reviewer):
    with translation.override("ko"):
        evaluator_invite(actor=reviewer, email="expert@kaist.ac.kr", name="박전문")

    invitation = sent(Notification.Kind.EVALUATOR_INVITATION)
    lines = assert_notice(invitation, greeting="박전문 님, 안녕하십니까.")
    assert invitation.subject == f"{PREFIX}국가 AI 데이터센터 자원 지원 포털 평가위원 위촉 안내"
    assert any("보안서약" in line for line in lines)


def test_the_reminder_names_the_call_the_stage_the_deadline_and_the_applications(panel):
    evaluation_reminders_send(now=panel.stage.deadline - timedelta(hours=20))

    reminder = Notification.objects.filter(
        kind=Notification.Kind.EVALUATION_REMINDER, recipient=panel.evaluators[0].user.email
    ).get()
    evaluator = panel.evaluators[0]
    lines = assert_notice(reminder, greeting=f"{evaluator.name} 님, 안녕하십니까.")
    assert KOREAN_DAY.search(reminder.subject) and reminder.subject.startswith(f"{PREFIX}평가 마감 안내")
    assert any(line.startswith(f"「{panel.call.title}」의 「서면평가」 평가가") for line in lines)
    assert "아직 제출하지 않은 배정 신청서가 2건 있습니다:" in lines
    assert lines.count("- 의료 영상 판독 모델") == 2
    assert "▶ 평가하기 바로가기:" in lines


def test_the_objections_receipt_and_decision(panel, applicant, reviewer):
    application = panel.applications[0]
    organization = application.organization.legal_name
    decisions.application_reject(actor=reviewer, application=application, reason="평가 점수 미달")
    objection = objection_file(actor=applicant, application=application, reason="재검토 요청")

    received = sent(Notification.Kind.OBJECTION_RECEIVED)
    lines = assert_notice(received, greeting=dear(organization))
    assert received.subject == f"{PREFIX}「{panel.call.title}」 이의신청 접수 안내"
    assert any("이의신청이 접수되었습니다" in line for line in lines)

    objection_decide(actor=reviewer, objection=objection, outcome=Objection.State.UPHELD, reason="채점 오류 없음")
    decided = sent(Notification.Kind.OBJECTION_DECISION)
    lines = assert_notice(decided, greeting=dear(organization))
    assert decided.subject == f"{PREFIX}「{panel.call.title}」 이의신청 처리 결과 안내"
    assert "이의신청을 받아들이지 않았습니다. 평가 결과는 그대로 유지됩니다." in lines
    assert "- 사유: 채점 오류 없음" in lines
