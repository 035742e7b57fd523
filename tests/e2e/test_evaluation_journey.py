"""The evaluation in a real browser, against a live server and a real Celery worker: an invited
expert signs up through the verified-e-mail flow, accepts the invitation, is sent to set up an
authenticator app, accepts the confidentiality pledge and scores the application with a reason
per criterion; two more evaluators log in with their password and code and do the same; after
the decision the applicant reads the scores and the evaluators' comments, anonymised, and files
an objection with an attachment; a reviewer decides it in the admin with a written reason. A
screenshot of each step is saved under ci-artifacts/e2e/, and any JavaScript error or response of
4xx/5xx fails the test. (Configuring the call, assigning and the panel sheet: eval-core's tests.)"""

import re

import pytest

from accounts.roles import REVIEWERS
from allocations.services import decisions
from applications.models import Application, Membership
from evaluation.models import Assignment, Objection
from evaluation.services.invitations import evaluator_invite
from notifications.models import Notification
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import PASSWORD, make_user, totp_code, totp_secret
from tests.e2e.test_journey import Browser, confirmation_path, mailbox  # noqa: F401 (a fixture)
from tests.evaluation_site.conftest import assign, make_panel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EXPERT = "kim.expert@gist.ac.kr"
EXPERT_PASSWORD = "a-long-and-unusual-passphrase-42"
REASONS = ("기술 구성이 구체적입니다", "지역 파급효과가 큽니다", "데이터가 준비되어 있습니다")


def score_and_submit(page, screenshots, name: str, value: str, reason: str) -> None:
    """On the evaluator's list: open the one application, score every criterion, submit."""
    with page.expect_navigation():
        page.locator("#assignments a[href^='/evaluation/assignments/']").first.click()
    for score in page.locator("input[name^='score_']").all():
        score.fill(value)
    for field in page.locator("textarea[name^='reason_']").all():
        field.fill(reason)
    screenshots(page, f"{name}-scores")
    with page.expect_navigation():
        page.locator("#scoring button[name=submit]").click()
    assert page.url.endswith("/evaluation/")


def test_three_evaluators_score_the_applicant_objects_and_a_reviewer_decides(
    live_server,
    browser,
    screenshots,
    mailbox,  # noqa: F811 (the fixture imported above)
    task_queue,
    start_worker,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    start_worker(task_queue, EMAIL_BACKEND="file", EMAIL_FILE_PATH=str(mailbox))
    errors: list[str] = []
    reviewer = make_user("reviewer@nai-dc.kr", is_staff=True, group=REVIEWERS)
    owner = make_user("founder@gwangju-ai.kr")
    panel = make_panel(applications=1, evaluators=2, member=owner)
    application = panel.applications[0]
    assert Membership.objects.filter(user=owner, organization=application.organization).exists()
    # The two evaluators already on the panel have not accepted the pledge yet.
    type(panel.evaluators[0]).objects.filter(pk__in=[e.pk for e in panel.evaluators]).update(pledge_accepted_at=None)
    invitation = evaluator_invite(actor=reviewer, email=EXPERT, name="김전문", affiliation="광주과학기술원")

    # --- An invited expert signs up, verifies the address and accepts ---------------------------
    expert = Browser(browser, live_server.url, errors, "expert")
    page = expert.go("/accounts/signup/")
    page.fill("#id_email", EXPERT)
    page.fill("#id_password1", EXPERT_PASSWORD)
    page.fill("#id_password2", EXPERT_PASSWORD)
    page.check("#id_agree_terms")
    page.check("#id_agree_privacy")
    with page.expect_navigation():
        page.locator("form[action*='/accounts/signup/'] button[type=submit]").click()
    page = expert.go(confirmation_path(mailbox, EXPERT))
    with page.expect_navigation():
        page.locator("form[action*='/accounts/confirm-email/'] button[type=submit]").click()
    page = expert.go(f"/evaluation/invitations/{invitation.token}/")
    screenshots(page, "expert-accepts-the-invitation")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    # Evaluators need a second factor, as staff do: sent to set one up, told why.
    assert page.url.endswith("/accounts/2fa/"), page.url
    assert page.locator(".alert").count() > 0
    with page.expect_navigation():
        page.locator("a[href='/accounts/2fa/totp/activate/']").click()
    page.fill("#id_password", EXPERT_PASSWORD)
    with page.expect_navigation():
        page.locator("form[action*='/accounts/reauthenticate/'] button[type=submit]").click()
    secret = page.input_value("#authenticator_secret")
    page.fill("#id_code", totp_code(secret))
    with page.expect_navigation():
        page.locator("form[action='/accounts/2fa/totp/activate/'] button[type=submit]").click()
    screenshots(page, "expert-enrolled-an-authenticator-app")

    # --- The pledge before the first application --------------------------------------------------
    page = expert.go("/evaluation/")
    assert page.url.endswith("/evaluation/pledge/")
    assert "보안서약" in page.content()
    screenshots(page, "expert-reads-the-pledge")
    page.check("#id_accept")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/evaluation/")
    evaluator = invitation.__class__.objects.get(pk=invitation.pk).evaluator
    assign(panel.stage, application, evaluator)  # a reviewer gives it to the new evaluator
    page = expert.go("/evaluation/")
    screenshots(page, "expert-list")
    score_and_submit(page, screenshots, "expert", "82", REASONS[0])
    expert.context.close()

    # --- Two evaluators log in with their password and code ---------------------------------------
    for number, (member, reason) in enumerate(zip(panel.evaluators, REASONS[1:], strict=True), start=1):
        someone = Browser(browser, live_server.url, errors, f"evaluator-{number}")
        someone.log_in(member.user.email, PASSWORD, "/evaluation/")
        someone.enter_code(totp_code(totp_secret(member.user)))
        page = someone.page
        assert page.url.endswith("/evaluation/pledge/")
        page.check("#id_accept")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        score_and_submit(page, screenshots, f"evaluator-{number}", str(70 + number * 4), reason)
        someone.context.close()
    assert Assignment.objects.filter(application=application, state=Assignment.State.SUBMITTED).count() == 3
    application.refresh_from_db()
    assert application.merit_score is not None

    # --- Decided; the applicant reads the feedback and objects -----------------------------------
    decisions.application_reject(actor=reviewer, application=application, reason="평가 점수가 선정 기준에 미달")
    applicant = Browser(browser, live_server.url, errors, "applicant")
    applicant.log_in(owner.email, PASSWORD, f"/applications/{application.pk}/")
    page = applicant.page
    feedback = page.locator("#evaluation").inner_text()
    for letter, reason in zip("ABC", REASONS, strict=True):
        assert f"위원 {letter}" in feedback and reason in feedback
    assert "kim.expert" not in page.content() and "김전문" not in page.content()
    assert re.search(r"최종 점수\s+\d+\.\d\d", feedback)
    screenshots(page, "applicant-reads-the-feedback")
    with page.expect_navigation():
        page.locator(f"a[href='/applications/{application.pk}/objection/']").click()
    evidence = tmp_path / "이의신청_근거.pdf"
    evidence.write_bytes(MINIMAL_PDF)
    page.fill("#id_reason", "자원 활용 계획 항목의 평가가 제출한 계획서 내용과 다릅니다.")
    page.set_input_files("#id_attachment", str(evidence))
    screenshots(page, "applicant-objects")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(f"/applications/{application.pk}/")
    assert "이의신청 접수" in page.locator("#evaluation").inner_text()
    objection = Objection.objects.get(application=application)
    applicant.context.close()

    # --- A reviewer decides the objection in the admin with a written reason ---------------------
    staff = Browser(browser, live_server.url, errors, "reviewer")
    staff.log_in(reviewer.email, PASSWORD, "/admin/evaluation/objection/")
    staff.enter_code(totp_code(totp_secret(reviewer)))
    page = staff.page
    with page.expect_navigation():
        page.locator(f"a[href='/admin/evaluation/objection/{objection.pk}/decide/']").click()
    assert "자원 활용 계획 항목의 평가" in page.content()
    page.check("#id_outcome_0")  # re-evaluation
    page.fill("#id_reason", "제출 계획서를 다시 확인한 결과 재평가가 필요합니다.")
    screenshots(page, "reviewer-decides-the-objection")
    with page.expect_navigation():
        page.locator("#decision-form button[type=submit]").click()
    assert page.url.endswith("/admin/evaluation/objection/")
    staff.context.close()

    objection.refresh_from_db()
    assert objection.state == Objection.State.REEVALUATION and objection.decided_by == reviewer
    told = Notification.objects.get(kind=Notification.Kind.OBJECTION_DECISION)
    assert told.recipient == owner.email and "재평가가 필요합니다" in told.body
    assert Application.objects.get(pk=application.pk).status == Application.Status.REJECTED
    assert errors == []
