from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from allocations.services import decisions
from applications.models import Application
from evaluation.models import CallEvaluation, Objection
from evaluation.services.objections import objection_file
from evaluation.services.scoring import ScoreInput, assignment_submit
from tests.applications.conftest import MINIMAL_PDF

pytestmark = pytest.mark.django_db


def page_of(client, application) -> str:
    response = client.get(reverse("application_detail", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200
    return response.content.decode()


def score_all(panel, application, reasons=("혁신성이 뛰어남", "시장성이 불확실함", "준비가 충분함")):
    for evaluator, reason in zip(panel.evaluators, reasons, strict=True):
        assignment_submit(
            actor=evaluator.user,
            assignment=panel.assignment(evaluator, application),
            scores={c.pk: ScoreInput(Decimal(70), reason) for c in panel.stage.criteria.all()},
        )


def test_before_the_decision_the_applicant_sees_the_stage_and_no_score(client, panel, applicant):
    application = panel.applications[0]
    score_all(panel, application)
    client.force_login(applicant)

    page = page_of(client, application)

    assert 'id="evaluation"' in page and "서면평가" in page and "현재 단계" in page
    assert "혁신성이 뛰어남" not in page and "최종 점수" not in page


def test_after_the_decision_the_scores_and_the_anonymised_comments_and_an_objection(client, panel, applicant, reviewer):
    application = panel.applications[0]
    score_all(panel, application)
    Application.objects.filter(pk=application.pk).update(merit_score=Decimal("70.00"), priority_score=30)
    decisions.application_reject(actor=reviewer, application=application, reason="평가 점수 미달")
    client.force_login(applicant)

    page = page_of(client, application)

    assert "70.00" in page and "100.00" in page  # merit, then final = merit + the 30 bonus points
    for letter, reason in zip("ABC", ("혁신성이 뛰어남", "시장성이 불확실함", "준비가 충분함"), strict=True):
        assert f"위원 {letter}" in page and reason in page
    for evaluator in panel.evaluators:
        assert evaluator.user.email not in page and evaluator.name not in page
    objection_url = reverse("objection_file", args=[application.pk])
    assert objection_url in page

    form = client.get(objection_url)
    assert form.status_code == 200
    attachment = SimpleUploadedFile("근거.pdf", MINIMAL_PDF, content_type="application/pdf")
    response = client.post(objection_url, {"reason": "기술성 점수가 낮게 매겨졌습니다.", "attachment": attachment})
    assert response["Location"] == reverse("application_detail", args=[application.pk])
    objection = Objection.objects.get(application=application)
    page = page_of(client, application)
    assert "이의신청 접수" in page and objection_url not in page
    assert client.get(reverse("objection_attachment", args=[objection.pk])).status_code == 200


def test_the_objection_form_refuses_a_second_one_and_strangers(client, panel, applicant, reviewer, other_org_applicant):
    application = panel.applications[0]
    decisions.application_reject(actor=reviewer, application=application, reason="평가 점수 미달")
    objection = objection_file(
        actor=applicant,
        application=application,
        reason="첫 이의",
        attachment=SimpleUploadedFile("a.pdf", MINIMAL_PDF, content_type="application/pdf"),
    )
    client.force_login(applicant)
    again = client.post(reverse("objection_file", args=[application.pk]), {"reason": "두 번째"})
    assert again.status_code == 200 and Objection.objects.count() == 1

    client.force_login(other_org_applicant)
    assert client.get(reverse("objection_file", args=[application.pk])).status_code == 404
    assert client.get(reverse("objection_attachment", args=[objection.pk])).status_code == 404


def test_a_priority_only_call_shows_no_evaluation(client, panel, applicant):
    CallEvaluation.objects.filter(call=panel.call).update(mode=CallEvaluation.Mode.PRIORITY)
    client.force_login(applicant)

    assert 'id="evaluation"' not in page_of(client, panel.applications[0])
