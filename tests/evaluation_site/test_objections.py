from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from allocations.services import decisions
from applications.models import ApplicationTransition
from evaluation.models import CallEvaluation, Objection, ObjectionTransition
from evaluation.services.objections import ObjectionError, objection_decide, objection_file
from notifications.models import Notification
from portal.errors import NotAllowed
from tests.applications.conftest import MINIMAL_PDF
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(panel, reviewer):
    application = panel.applications[0]
    decisions.application_reject(actor=reviewer, application=application, reason="평가 점수 미달")
    application.refresh_from_db()
    return application


def test_a_member_objects_once_within_the_period_with_a_reason_and_an_attachment(rejected, applicant):
    attachment = SimpleUploadedFile("근거.pdf", MINIMAL_PDF, content_type="application/pdf")

    objection = objection_file(
        actor=applicant, application=rejected, reason="기술성 평가가 사실과 다릅니다.", attachment=attachment
    )

    assert objection.state == Objection.State.FILED and objection.filed_by == applicant
    assert objection.attachment.name.startswith("objections/") and objection.attachment.name.endswith(".pdf")
    transition = ObjectionTransition.objects.get(objection=objection)
    assert (transition.actor, transition.from_state, transition.to_state) == (applicant, "", Objection.State.FILED)
    received = Notification.objects.get(kind=Notification.Kind.OBJECTION_RECEIVED)
    assert received.recipient == applicant.email and "이의신청" in received.subject
    with pytest.raises(ObjectionError, match="already"):
        objection_file(actor=applicant, application=rejected, reason="다시")
    assert Objection.objects.count() == 1


def test_no_objection_after_the_period_from_a_stranger_or_before_the_decision(
    panel, rejected, applicant, other_org_applicant
):
    with pytest.raises(NotAllowed):
        objection_file(actor=other_org_applicant, application=rejected, reason="대신")
    undecided = panel.applications[1]
    MembershipFactory(organization=undecided.organization, user=applicant)
    with pytest.raises(ObjectionError, match="decision"):
        objection_file(actor=applicant, application=undecided, reason="아직 결정 전")
    ApplicationTransition.objects.filter(application=rejected).update(created_at=timezone.now() - timedelta(days=8))
    with pytest.raises(ObjectionError, match="ended"):
        objection_file(actor=applicant, application=rejected, reason="늦음")
    assert not Objection.objects.exists()


def test_a_priority_only_call_takes_no_objection(rejected, applicant):
    CallEvaluation.objects.filter(call_id=rejected.call_id).update(mode=CallEvaluation.Mode.PRIORITY)

    with pytest.raises(ObjectionError):
        objection_file(actor=applicant, application=rejected, reason="이의")


def test_a_reviewer_decides_with_a_written_reason_e_mailed_to_the_members(rejected, applicant, reviewer):
    objection = objection_file(actor=applicant, application=rejected, reason="재검토 요청")

    with pytest.raises(ObjectionError):
        objection_decide(actor=reviewer, objection=objection, outcome=Objection.State.UPHELD, reason=" ")
    objection_decide(actor=reviewer, objection=objection, outcome=Objection.State.REEVALUATION, reason="채점 오류 확인")

    objection.refresh_from_db()
    assert (objection.state, objection.decided_by, objection.decision_reason) == (
        Objection.State.REEVALUATION,
        reviewer,
        "채점 오류 확인",
    )
    assert list(ObjectionTransition.objects.filter(objection=objection).values_list("to_state", flat=True)) == [
        Objection.State.FILED,
        Objection.State.REEVALUATION,
    ]
    decided = Notification.objects.get(kind=Notification.Kind.OBJECTION_DECISION)
    assert decided.recipient == applicant.email and "채점 오류 확인" in decided.body
    assert "다시 평가" in decided.body
    with pytest.raises(ObjectionError, match="already"):
        objection_decide(actor=reviewer, objection=objection, outcome=Objection.State.UPHELD, reason="번복")


def test_an_applicant_or_an_operator_cannot_decide(rejected, applicant, operator):
    objection = objection_file(actor=applicant, application=rejected, reason="재검토 요청")

    for actor in (applicant, operator):
        with pytest.raises(NotAllowed):
            objection_decide(actor=actor, objection=objection, outcome=Objection.State.UPHELD, reason="기각")
    assert Objection.objects.get().is_open
