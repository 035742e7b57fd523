"""One journey across the three kinds of user, in a real browser against a live server and a real
Celery worker: an applicant signs up, verifies the e-mail from the development mailbox, registers
the organisation, applies with a priority claim and its evidence and submits; a reviewer logs in
for the first time, is sent to set up a second factor and enrols an authenticator app, then
verifies the claim in the admin and approves in part; the worker provisions; the applicant sees the
active allocation; the operator logs in with the password and the app's code, and the dashboard
shows it. A screenshot of each step is saved under
ci-artifacts/e2e/, and any JavaScript error or console error (a Content-Security-Policy violation
is one) fails the test."""

import email
import email.policy
import re
import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from allocations.models import Allocation
from applications.models import Application, CallOffering
from pool.models import CapacityPhase, Offering
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import make_user, totp_code, totp_secret
from tests.factories import CallFactory, OfferingFactory, business_number

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

APPLICANT = "founder@gwangju-ai.kr"
PASSWORD = "a-long-and-unusual-passphrase-42"
STAFF_PASSWORD = "correct-horse-battery-staple"  # tests/conftest.py's make_user
ORGANISATION = "빛고을 인공지능 주식회사"
REQUESTED, GRANTED = 4, 3
WORKER_TIMEOUT = 60


@pytest.fixture
def open_call(db):
    """An open call for GPUs whose service runs from today for three weeks, on a 10-GPU pool, so
    that the grant is allocated today and ends within the dashboard's 30 days."""
    today = timezone.localdate()
    gpu = OfferingFactory(name="A100 GPU", kind=Offering.Kind.GPU, unit=Offering.Unit.GPU)
    CapacityPhase.objects.create(offering=gpu, starts_on=date(2020, 1, 1), units=10)
    call = CallFactory(
        title="2026년 국가 AI 데이터센터 GPU 지원 공고",
        service_starts_on=today,
        service_ends_on=today + timedelta(days=20),
    )
    CallOffering.objects.create(call=call, offering=gpu, max_per_application=8)
    return call


@pytest.fixture
def mailbox(settings, tmp_path):
    """The development mailbox: the file backend of MAILERS, as `make run` has it."""
    folder = tmp_path / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    return folder


def read_mailbox(folder) -> list[email.message.EmailMessage]:
    messages = []
    for path in sorted(folder.glob("*")):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                messages.append(email.message_from_bytes(raw.lstrip(), policy=email.policy.default))
    return messages


def confirmation_path(folder, address: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in read_mailbox(folder):
            if address in message["To"]:
                body = message.get_body(preferencelist=("plain",)).get_content()
                if found := re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body):
                    return found.group(1)
        time.sleep(0.1)
    pytest.fail(f"no confirmation e-mail to {address} in {folder}")


class Browser:
    """One user's browser: Korean first, like the portal's users; every console error, page error
    and failed request of its pages is kept."""

    def __init__(self, browser, base_url: str, errors: list[str], who: str):
        self.context = browser.new_context(
            locale="ko-KR", timezone_id="Asia/Seoul", viewport={"width": 1280, "height": 900}
        )
        self.page = self.context.new_page()
        self.base_url = base_url
        self.page.on(
            "console",
            lambda m: m.type == "error" and errors.append(f"{who}: console: {m.text} ({m.location.get('url')})"),
        )
        self.page.on("pageerror", lambda e: errors.append(f"{who}: page error: {e}"))
        self.page.on(
            "response", lambda r: r.status >= 400 and errors.append(f"{who}: {r.status} {r.request.method} {r.url}")
        )

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def log_in(self, email_address: str, password: str, path: str) -> None:
        """Open ``path``, which sends a visitor to the login page, and log in there."""
        page = self.go(path)
        page.fill("#id_login", email_address)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.locator("form[action*='/accounts/login/'] button[type=submit]").click()

    def enter_code(self, code: str) -> None:
        """The second step of a login with a second factor: the authenticator app's code."""
        page = self.page
        assert page.url.endswith("/accounts/2fa/authenticate/")
        page.fill("#id_code", code)
        with page.expect_navigation():
            page.locator("form[action='/accounts/2fa/authenticate/'] button[type=submit]").click()


def next_step(page) -> None:
    """The step's "다음" button: saves the step and opens the next one."""
    with page.expect_navigation():
        page.locator(".form-step-buttons button[name=go][value=next]").click()


def wait_for_active(allocation_query, timeout: float = WORKER_TIMEOUT) -> Allocation:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        allocation = allocation_query.first()
        if allocation is not None and allocation.state == Allocation.State.ACTIVE:
            return allocation
        time.sleep(0.2)
    pytest.fail(f"the worker did not provision within {timeout} s: {list(allocation_query.values('state'))}")


def test_applicant_reviewer_and_operator_in_a_real_browser(
    live_server,
    browser,
    screenshots,
    mailbox,
    task_queue,
    start_worker,
    open_call,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The worker delivers the e-mails too (notifications/): into the same development mailbox.
    start_worker(task_queue, EMAIL_BACKEND="file", EMAIL_FILE_PATH=str(mailbox))
    from accounts.roles import OPERATORS, REVIEWERS

    # The reviewer has not set up a second factor yet; the operator has (an authenticator app).
    reviewer = make_user("reviewer@nai-dc.kr", is_staff=True, group=REVIEWERS, second_factor=False)
    operator = make_user("operator@nai-dc.kr", is_staff=True, group=OPERATORS)
    errors: list[str] = []
    evidence = tmp_path / "임대차계약서.pdf"
    evidence.write_bytes(MINIMAL_PDF)
    certificate = tmp_path / "사업자등록증.pdf"
    certificate.write_bytes(MINIMAL_PDF)

    # --- The applicant signs up and verifies the e-mail ------------------------------------------
    applicant = Browser(browser, live_server.url, errors, "applicant")
    page = applicant.go("/accounts/signup/")
    page.fill("#id_email", APPLICANT)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_agree_terms")
    page.check("#id_agree_privacy")
    with page.expect_navigation():
        page.locator("form[action*='/accounts/signup/'] button[type=submit]").click()
    screenshots(page, "applicant-signed-up")

    page = applicant.go(confirmation_path(mailbox, APPLICANT))
    with page.expect_navigation():
        page.locator("form[action*='/accounts/confirm-email/'] button[type=submit]").click()
    assert page.locator("a[href='/accounts/logout/'], form[action='/accounts/logout/']").count() > 0
    screenshots(page, "applicant-verified-and-logged-in")

    # --- Registers the organisation from the call's page and applies ---------------------------
    page = applicant.go(f"/calls/{open_call.pk}/")
    with page.expect_navigation():
        page.locator("a[href^='/organisations/new/']").click()
    page.fill("#id_legal_name", ORGANISATION)
    page.select_option("#id_org_type", "venture")
    page.fill("#id_registration_number", business_number(424242))
    page.select_option("#id_region", "gwangju")
    page.fill("#id_address", "광주광역시 북구 첨단과기로 208")
    page.select_option("#id_industry", "healthcare")
    page.fill("#id_employees", "18")
    screenshots(page, "applicant-registers-the-organisation")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(f"/calls/{open_call.pk}/")

    with page.expect_navigation():
        page.locator(f"form[action='/calls/{open_call.pk}/apply/'] button[type=submit]").click()
    # The form's steps: organisation, project, resources, priority, documents, review.
    assert re.search(r"/applications/\d+/edit/organisation/$", page.url)
    next_step(page)
    page.select_option("#id_purpose", "training")
    page.fill("#id_project_title", "의료 영상 판독 보조 모델 학습")
    page.fill("#id_summary", "흉부 X선 영상으로 판독 보조 모델을 학습합니다.")
    page.fill("#id_plan", "1단계 데이터 정제, 2단계 사전 학습, 3단계 미세 조정.")
    page.fill("#id_expected_outcome", "판독 시간 30% 단축")
    page.select_option("#id_industry_domain", "healthcare")
    screenshots(page, "applicant-fills-the-project")
    next_step(page)
    page.select_option("#id_items-0-offering", str(open_call.call_offerings.get().offering_id))
    page.fill("#id_items-0-quantity", str(REQUESTED))
    page.fill("#id_items-0-starts_on", open_call.service_starts_on.isoformat())
    page.fill("#id_items-0-ends_on", open_call.service_ends_on.isoformat())
    next_step(page)
    page.check("#id_claim-gwangju_located-claimed")
    page.fill("#id_claim-gwangju_located-details", "본사가 광주광역시 북구에 있습니다.")
    next_step(page)
    page.set_input_files("#id_business_certificate", str(certificate))
    page.set_input_files("#id_evidence_gwangju_located", str(evidence))
    screenshots(page, "applicant-attaches-the-documents")
    next_step(page)
    assert page.url.endswith("/edit/review/")
    screenshots(page, "applicant-reviews-the-application")
    with page.expect_navigation():
        page.locator("main form[action$='/submit/'] button[type=submit]").click()
    application = Application.objects.get(organization__legal_name=ORGANISATION)
    assert application.status == Application.Status.SUBMITTED
    assert page.url.endswith(f"/applications/{application.pk}/")
    screenshots(page, "applicant-submitted")

    # --- The reviewer's first login: the admin opens once a second factor is set up --------------
    staff = Browser(browser, live_server.url, errors, "reviewer")
    staff.log_in(reviewer.email, STAFF_PASSWORD, "/admin/")
    page = staff.page
    assert page.url.endswith("/accounts/2fa/")  # sent to set one up, and told why
    assert page.locator(".alert").count() > 0
    screenshots(page, "reviewer-sent-to-set-up-a-second-factor")
    with page.expect_navigation():
        page.locator("a[href='/accounts/2fa/totp/activate/']").click()
    page.fill("#id_password", STAFF_PASSWORD)  # allauth asks for the password again first
    with page.expect_navigation():
        page.locator("form[action*='/accounts/reauthenticate/'] button[type=submit]").click()
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1  # the QR code
    secret = page.input_value("#authenticator_secret")  # what the phone would read from the QR code
    page.fill("#id_code", totp_code(secret))
    screenshots(page, "reviewer-enrols-an-authenticator-app")
    with page.expect_navigation():
        page.locator("form[action='/accounts/2fa/totp/activate/'] button[type=submit]").click()
    assert page.url.endswith("/accounts/2fa/recovery-codes/")
    screenshots(page, "reviewer-recovery-codes")
    assert totp_secret(reviewer) == secret

    # --- The reviewer verifies the claim and approves in part -----------------------------------
    page = staff.go("/admin/")
    assert page.url.endswith("/admin/")
    page = staff.go(f"/admin/applications/application/?call__id__exact={open_call.pk}")
    screenshots(page, "reviewer-queue")
    with page.expect_navigation():
        page.locator(f"a[href*='/admin/applications/application/{application.pk}/decide/']").click()
    with page.expect_navigation():
        page.locator("button[name=verdict][value=verified]").click()
    assert application.claims.get().verification == "verified"
    item = application.items.get()
    page.fill(f"input[name=grant_{item.pk}]", str(GRANTED))
    page.fill("#id_reason", "GPU 수요가 많아 3장으로 조정합니다.")
    screenshots(page, "reviewer-decides")
    with page.expect_navigation():
        page.locator("button[name=decision][value=approve_partial]").click()
    application.refresh_from_db()
    assert application.status == Application.Status.APPROVED
    screenshots(page, "reviewer-approved-in-part")
    staff.context.close()

    # --- The real worker provisions; the applicant sees the active allocation --------------------
    allocation = wait_for_active(Allocation.objects.filter(application_item__application=application))
    assert allocation.quantity == GRANTED
    page = applicant.go(f"/applications/{application.pk}/")
    assert page.locator(".badge.allocation-active").count() == 1
    assert allocation.external_ref in page.content()
    screenshots(page, "applicant-sees-the-active-allocation")
    applicant.context.close()

    # --- The operator logs in with the app's code; the dashboard shows it -------------------------
    ops = Browser(browser, live_server.url, errors, "operator")
    ops.log_in(operator.email, STAFF_PASSWORD, "/ops/")
    screenshots(ops.page, "operator-asked-for-a-code")
    ops.enter_code(totp_code(totp_secret(operator)))
    page = ops.page
    assert page.url.endswith("/ops/")
    assert "30.0%" in page.locator("#utilisation").inner_text()  # 3 of the 10 GPUs, today
    expiring = page.locator("#expiring")
    assert ORGANISATION in expiring.inner_text()
    assert str(GRANTED) in expiring.inner_text()
    screenshots(page, "operator-dashboard")
    ops.context.close()

    assert errors == []
