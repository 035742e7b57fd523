"""The application form in a real browser (issue #17): a draft saved with one bad resource row
keeps the rest and the upload; the file size is checked before sending; a failed submit shows an
error summary whose links focus the fields; the steps, the indicator and the review page; the
submission. Playwright on Debian's Chromium against a live server, with the page's own script (any
console or page error, a CSP violation among them, fails the test); screenshots under
ci-artifacts/e2e/<test>/."""

import pytest
from django.utils import timezone

from applications import services
from applications.models import Application, CallOffering, Membership
from applications.uploads import MAX_UPLOAD_BYTES
from pool.models import Offering
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import PASSWORD, make_user
from tests.e2e.test_journey import Browser
from tests.factories import CallFactory, MembershipFactory, OfferingFactory, OrganizationFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

EMAIL = "applicant@gwangju-ai.kr"


@pytest.fixture
def draft(db, settings, tmp_path):
    """A member's new draft for an open call offering GPUs (at most 8) and storage (at most 100 TB)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user(EMAIL)
    organization = OrganizationFactory(legal_name="빛고을 인공지능 주식회사")
    MembershipFactory(organization=organization, user=user, role=Membership.Role.OWNER)
    today = timezone.localdate()
    call = CallFactory(service_starts_on=today, service_ends_on=today.replace(year=today.year + 1))
    gpu = OfferingFactory(name="A100 GPU", kind=Offering.Kind.GPU, unit=Offering.Unit.GPU)
    storage = OfferingFactory(name="고성능 스토리지", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
    CallOffering.objects.create(call=call, offering=gpu, max_per_application=8)
    CallOffering.objects.create(call=call, offering=storage, max_per_application=100)
    return services.application_start(actor=user, call=call, organization=organization)


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    certificate = folder / "사업자등록증.pdf"
    certificate.write_bytes(MINIMAL_PDF)
    evidence = folder / "본사 임대차계약서.pdf"
    evidence.write_bytes(MINIMAL_PDF)
    fake = folder / "가짜.pdf"
    fake.write_bytes(b"<html><body>not a pdf</body></html>")
    too_big = folder / "큰 파일.pdf"
    too_big.write_bytes(b"%PDF-1.4\n" + b"0" * (MAX_UPLOAD_BYTES + 1 - 16) + b"\n%%EOF\n")
    assert too_big.stat().st_size == MAX_UPLOAD_BYTES + 1
    return {"certificate": certificate, "evidence": evidence, "fake": fake, "too_big": too_big}


@pytest.fixture
def applicant(live_server, browser, draft):
    errors: list[str] = []
    user = Browser(browser, live_server.url, errors, "applicant")
    user.log_in(EMAIL, PASSWORD, f"/applications/{draft.pk}/edit/")
    user.errors = errors
    yield user
    user.context.close()


def step_url(draft, step: str) -> str:
    return f"/applications/{draft.pk}/edit/{step}/"


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


NEXT = ".form-step-buttons button[value=next]"
SAVE = ".form-step-buttons button[value=save]"


def test_a_draft_with_one_bad_row_keeps_the_rest_and_the_upload(applicant, draft, files, screenshots):
    page = applicant.page
    assert page.url.endswith(step_url(draft, "organisation"))
    gpu, storage = (co.offering for co in draft.call.call_offerings.order_by("offering__name"))
    period = (draft.call.service_starts_on.isoformat(), draft.call.service_ends_on.isoformat())

    # One row to start with; the script adds the second, numbered, and shows its maximum.
    page = applicant.go(step_url(draft, "resources"))
    assert page.locator("[data-rows] fieldset").count() == 1
    page.select_option("#id_items-0-offering", str(gpu.pk))
    assert page.locator("#id_items-0-quantity_helptext").inner_text() == "신청당 최대 8 GPU까지 신청할 수 있습니다."
    page.fill("#id_items-0-quantity", "4")
    page.fill("#id_items-0-starts_on", period[0])
    page.fill("#id_items-0-ends_on", period[1])
    page.locator("[data-add-row]").click()
    assert page.url.endswith(step_url(draft, "resources"))  # added here, not by the server
    assert page.locator("[data-rows] fieldset legend").all_inner_texts() == ["신청 자원 1", "신청 자원 2"]
    assert active_id(page) == "id_items-1-offering"
    page.select_option("#id_items-1-offering", str(storage.pk))
    assert page.locator("#id_items-1-quantity_helptext").inner_text() == "신청당 최대 100 TB까지 신청할 수 있습니다."
    page.fill("#id_items-1-quantity", "500")
    page.fill("#id_items-1-starts_on", period[0])
    page.fill("#id_items-1-ends_on", period[1])
    assert page.locator("#item-totals").inner_text() == "4 GPU · 500 TB"
    screenshots(page, "two-rows-one-over-the-maximum")
    click(page, SAVE)

    # The good row is saved; the bad one stays on the page with its message, summarised on top.
    assert list(draft.items.values_list("offering", "quantity")) == [(gpu.pk, 4)]
    assert page.title().startswith("오류: ")
    assert active_id(page) == "error-summary"
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert "신청당 최대 100 TB까지" in summary.inner_text()
    assert page.input_value("#id_items-1-quantity") == "500"
    assert page.get_attribute("#id_items-1-quantity", "aria-invalid") == "true"
    screenshots(page, "the-bad-row-is-kept-with-its-message")
    summary.locator("a").first.click()
    assert active_id(page) == "id_items-1-quantity"

    # Documents: the certificate is accepted although the evidence is refused, and never asked for again.
    page = applicant.go(step_url(draft, "priority"))
    page.check("#id_claim-gwangju_located-claimed")
    click(page, NEXT)
    assert page.url.endswith(step_url(draft, "documents"))
    page.set_input_files("#id_business_certificate", str(files["certificate"]))
    page.set_input_files("#id_evidence_gwangju_located", str(files["fake"]))
    click(page, SAVE)
    assert page.title().startswith("오류: ")
    draft.refresh_from_db()
    assert draft.business_certificate_name == "사업자등록증.pdf"
    assert "사업자등록증.pdf" in page.locator("#id_business_certificate_kept").inner_text()
    assert page.get_attribute("#id_evidence_gwangju_located", "aria-invalid") == "true"
    screenshots(page, "the-certificate-is-kept-the-evidence-refused")

    # The size is checked in the browser before anything is sent.
    page.set_input_files("#id_evidence_gwangju_located", str(files["too_big"]))
    message = page.locator("#id_evidence_gwangju_located_size_error")
    assert "10,485,760" in message.inner_text() and "10,485,761" in message.inner_text()
    assert page.input_value("#id_evidence_gwangju_located") == ""
    page.set_input_files("#id_evidence_gwangju_located", str(files["evidence"]))
    assert message.count() == 0
    click(page, NEXT)
    assert page.url.endswith("/edit/review/")
    assert "사업자등록증.pdf" in page.locator("main").inner_text()
    assert applicant.errors == []


def test_a_failed_submit_shows_a_summary_whose_links_focus_the_fields(applicant, draft, screenshots):
    page = applicant.go(f"/applications/{draft.pk}/edit/review/")
    click(page, "main form[action$='/submit/'] button[type=submit]")

    assert page.url.endswith(f"/applications/{draft.pk}/submit/")
    assert page.title().startswith("오류: ")
    assert active_id(page) == "error-summary"
    links = page.locator("#error-summary a")
    assert links.count() >= 8
    screenshots(page, "failed-submit-summary")

    click(page, "#error-summary a[href$='#id_purpose']")
    assert page.url.endswith(f"/applications/{draft.pk}/edit/project/?check=1#id_purpose")
    assert active_id(page) == "id_purpose"
    assert page.get_attribute("#id_purpose", "aria-invalid") == "true"
    screenshots(page, "the-link-focuses-the-field")

    page.go_back()
    click(page, "#error-summary a[href$='#id_items-0-offering']")
    assert active_id(page) == "id_items-0-offering"
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT
    assert applicant.errors == []


def test_walk_the_steps_review_and_submit(applicant, draft, files, screenshots):
    page = applicant.page
    gpu = draft.call.call_offerings.get(offering__kind=Offering.Kind.GPU).offering
    current = page.locator("nav.form-steps [aria-current=step]")
    assert current.inner_text() == "1 기관 정보 확인"
    assert "빛고을 인공지능 주식회사" in page.locator("main").inner_text()
    screenshots(page, "step-1-organisation")
    click(page, NEXT)

    assert current.inner_text() == "2 과제"
    assert "(제출 시 필수)" in page.locator("label[for=id_project_title]").inner_text()
    page.select_option("#id_purpose", "training")
    page.fill("#id_project_title", "의료 영상 판독 보조 모델 학습")
    page.fill("#id_summary", "흉부 X선 영상으로 판독 보조 모델을 학습합니다.")
    page.fill("#id_plan", "데이터 정제, 사전 학습, 미세 조정.")
    page.fill("#id_expected_outcome", "판독 시간 30% 단축")
    page.select_option("#id_industry_domain", "healthcare")
    screenshots(page, "step-2-project")
    click(page, NEXT)

    assert current.inner_text() == "3 자원 신청"
    page.select_option("#id_items-0-offering", str(gpu.pk))
    page.fill("#id_items-0-quantity", "6")
    page.fill("#id_items-0-starts_on", draft.call.service_starts_on.isoformat())
    page.fill("#id_items-0-ends_on", draft.call.service_ends_on.isoformat())
    click(page, NEXT)

    assert current.inner_text() == "4 우선 지원 요건"
    assert page.locator("fieldset#claim-gwangju_located legend").inner_text().startswith("광주 소재 기업")
    page.check("#id_claim-gwangju_located-claimed")
    page.fill("#id_claim-gwangju_located-details", "본사가 광주광역시 북구에 있습니다.")
    # Back, freely: the step is saved on the way.
    click(page, ".form-step-buttons button[value=previous]")
    assert current.inner_text() == "3 자원 신청"
    assert page.input_value("#id_items-0-quantity") == "6"
    click(page, "nav.form-steps a:has-text('증빙 서류')")
    assert current.inner_text() == "5 증빙 서류"
    page.set_input_files("#id_business_certificate", str(files["certificate"]))
    page.set_input_files("#id_evidence_gwangju_located", str(files["evidence"]))
    click(page, NEXT)

    assert current.inner_text() == "6 확인 및 제출"
    main = page.locator("main").inner_text()
    for shown in ("의료 영상 판독 보조 모델 학습", "A100 GPU", "6 GPU", "광주 소재 기업", "사업자등록증.pdf"):
        assert shown in main
    assert "30" in page.locator("section[aria-labelledby=review-priority]").inner_text()
    assert page.locator("#problems").count() == 0
    screenshots(page, "step-6-review")
    click(page, "main form[action$='/submit/'] button[type=submit]")

    assert page.url.endswith(f"/applications/{draft.pk}/")
    draft.refresh_from_db()
    assert draft.status == Application.Status.SUBMITTED
    screenshots(page, "submitted")
    assert applicant.errors == []


def test_a_step_of_the_indicator_clicked_after_a_change_saves_the_page_first(applicant, draft, screenshots):
    page = applicant.go(step_url(draft, "project"))
    current = page.locator("nav.form-steps [aria-current=step]")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    project = f"{applicant.base_url}{step_url(draft, 'project')}"

    # Unchanged: the indicator is a plain link, nothing is posted.
    click(page, "nav.form-steps a:has-text('자원 신청')")
    assert current.inner_text() == "3 자원 신청" and posts == []

    page.go_back()
    page.fill("#id_project_title", "물류 수요 예측 모델")
    click(page, "nav.form-steps a:has-text('기관 정보 확인')")

    assert current.inner_text() == "1 기관 정보 확인"
    assert posts == [project]
    draft.refresh_from_db()
    assert draft.project_title == "물류 수요 예측 모델"

    click(page, "nav.form-steps a:has-text('과제')")
    assert page.input_value("#id_project_title") == "물류 수요 예측 모델"
    screenshots(page, "indicator-saved-the-step")

    # Two clicks before the page leaves (a double click on a slow connection): one submission.
    # The form's submissions are counted and held in the page, so that both clicks meet it.
    page.fill("#id_project_title", "물류 수요 예측 모델 2")
    submissions = page.evaluate(
        """() => {
            const form = document.querySelector("form[data-step-form]");
            const sent = [];
            form.addEventListener("submit", (event) => {
                sent.push(event.submitter && event.submitter.value);
                event.preventDefault();
            });
            const link = document.querySelector("nav.form-steps a[data-step=priority]");
            link.click();
            link.click();
            return sent;
        }"""
    )
    assert submissions == ["priority"]
    assert applicant.errors == []
