"""The application form in steps (issue #17): the step indicator, saving on each step, the
review page, the error summary, drafts that keep what is valid, kept original file names."""

import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services, uploads
from applications.models import PriorityClaim
from applications.uploads import MAX_UPLOAD_BYTES, validate_evidence_file
from tests.applications.conftest import MINIMAL_PDF, complete, edit_form_data, pdf, post_draft, post_step
from tests.applications.htmltree import Node, tree

pytestmark = pytest.mark.django_db

STEPS = ["organisation", "project", "resources", "priority", "documents"]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def draft(applicant, open_call, organization, media_root):
    return services.application_start(actor=applicant, call=open_call, organization=organization)


@pytest.fixture
def owner_client(client, applicant):
    client.force_login(applicant)
    return client


def page(response) -> Node:
    return tree(response)


def title(soup: Node) -> str:
    return soup.find("title").get_text()


def legends(soup: Node, within: Node | None = None) -> list[str]:
    root = within or soup
    return [fieldset.find("legend").get_text() for fieldset in root.find_all("fieldset")]


def step_url(application, step):
    if step == "review":
        return reverse("application_review", args=[application.pk])
    return reverse("application_step", args=[application.pk, step])


def row(call, offering, quantity, **overrides) -> dict:
    return {
        "offering": str(offering.pk),
        "quantity": str(quantity),
        "starts_on": call.service_starts_on.isoformat(),
        "ends_on": call.service_ends_on.isoformat(),
        **overrides,
    }


def rows_data(*rows: dict) -> dict:
    data = {"items-TOTAL_FORMS": str(len(rows)), "items-INITIAL_FORMS": "0"}
    for index, values in enumerate(rows):
        for name, value in values.items():
            data[f"items-{index}-{name}"] = value
    return data


def error_summary(soup: Node):
    return soup.find(id="error-summary")


# --- Steps, indicator, navigation ---------------------------------------------------------------


def test_the_form_opens_on_its_first_step(owner_client, draft):
    response = owner_client.get(reverse("application_edit", args=[draft.pk]))

    assert response.status_code == 302
    assert response["Location"] == step_url(draft, "organisation")


@pytest.mark.parametrize("step", [*STEPS, "review"])
def test_each_step_shows_the_indicator_with_the_current_step_marked(owner_client, draft, step):
    soup = page(owner_client.get(step_url(draft, step)))

    nav = soup.find("nav", cls="form-steps")
    links = nav.find_all("a")
    assert [link.get_text() for link in links] == [
        "1 기관 정보 확인",
        "2 과제",
        "3 자원 신청",
        "4 우선 지원 요건",
        "5 증빙 서류",
        "6 확인 및 제출",
    ]
    current = nav.find_all(attrs={"aria-current": "step"})
    assert len(current) == 1
    assert current[0]["href"] == step_url(draft, step)
    assert [link["href"] for link in links] == [step_url(draft, each) for each in [*STEPS, "review"]]


def test_an_unknown_step_is_not_found(owner_client, draft):
    assert owner_client.get(f"/applications/{draft.pk}/edit/nothing/").status_code == 404


def test_next_saves_the_step_and_goes_on_previous_goes_back(owner_client, draft):
    response = post_step(owner_client, draft, "project", {"project_title": "결함 탐지", "plan": "계획"})

    assert response["Location"] == step_url(draft, "resources")
    draft.refresh_from_db()
    assert (draft.project_title, draft.plan) == ("결함 탐지", "계획")

    response = post_step(owner_client, draft, "project", {"project_title": "결함 탐지 2"}, go="previous")
    assert response["Location"] == step_url(draft, "organisation")
    draft.refresh_from_db()
    assert draft.project_title == "결함 탐지 2"

    response = post_step(owner_client, draft, "project", {"project_title": "결함 탐지 3"}, go="save")
    assert response["Location"] == step_url(draft, "project")


def test_the_organisation_step_shows_the_organisation_and_goes_on(owner_client, draft, organization):
    soup = page(owner_client.get(step_url(draft, "organisation")))

    assert organization.legal_name in soup.get_text()
    assert organization.registration_number_display in soup.get_text()
    assert post_step(owner_client, draft, "organisation", {})["Location"] == step_url(draft, "project")


def test_a_submitted_application_s_steps_send_to_its_status_page(owner_client, draft, open_call, gpu):
    complete(draft, gpu, 2)
    services.application_submit(actor=draft.created_by, application=draft)

    for step in [*STEPS, "review"]:
        response = owner_client.get(step_url(draft, step))
        assert response["Location"] == reverse("application_detail", args=[draft.pk])


def test_submission_requirements_are_marked_on_the_labels(owner_client, draft):
    soup = page(owner_client.get(step_url(draft, "project")))

    assert "(제출 시 필수)" in soup.find("label", attrs={"for": "id_project_title"}).get_text()
    assert "(제출 시 필수)" not in soup.find("label", attrs={"for": "id_title_listed_publicly"}).get_text()


# --- Resource rows ---------------------------------------------------------------------------------


def test_a_new_draft_starts_with_one_resource_row_in_a_numbered_fieldset(owner_client, draft):
    soup = page(owner_client.get(step_url(draft, "resources")))

    assert soup.find("input", attrs={"name": "items-TOTAL_FORMS"})["value"] == "1"
    assert legends(soup, soup.find(attrs={"data-rows": ""})) == ["신청 자원 1"]
    assert soup.find("button", attrs={"name": "add_row"}) is not None


def test_add_a_row_without_javascript_keeps_the_rows_and_adds_one(owner_client, draft, open_call, gpu):
    data = {**rows_data(row(open_call, gpu, 4)), "add_row": "1"}

    response = owner_client.post(step_url(draft, "resources"), data)

    assert response.status_code == 200
    soup = page(response)
    assert legends(soup, soup.find(attrs={"data-rows": ""})) == [
        "신청 자원 1",
        "신청 자원 2",
    ]
    assert soup.find(id="id_items-0-quantity")["value"] == "4"
    assert error_summary(soup) is None
    assert list(draft.items.values_list("offering", "quantity")) == [(gpu.pk, 4)]


def test_remove_a_row_without_javascript(owner_client, draft, open_call, gpu, storage):
    data = {**rows_data(row(open_call, gpu, 4), row(open_call, storage, 10)), "remove_row": "0"}

    owner_client.post(step_url(draft, "resources"), data)

    assert list(draft.items.values_list("offering", "quantity")) == [(storage.pk, 10)]


def test_the_maximum_and_unit_stand_beside_the_quantity_and_the_totals_add_up(owner_client, draft, open_call, gpu):
    services.application_update_draft(
        actor=draft.created_by, application=draft, items=[services.RequestedItem(gpu, 3, *_period(open_call))]
    )

    soup = page(owner_client.get(step_url(draft, "resources")))

    quantity = soup.find(id="id_items-0-quantity")
    help_text = soup.find(id="id_items-0-quantity_helptext")
    assert help_text.get_text() == "신청당 최대 8 GPU까지 신청할 수 있습니다."
    assert "id_items-0-quantity_helptext" in quantity["aria-describedby"].split()
    assert soup.find(id="item-totals").get_text() == "3 GPU"


def _period(call):
    return call.service_starts_on, call.service_ends_on


def test_a_quantity_over_the_maximum_is_refused_with_its_unit_even_beyond_a_million(
    owner_client, draft, open_call, storage
):
    for quantity in ("101", "2000000"):
        response = owner_client.post(step_url(draft, "resources"), rows_data(row(open_call, storage, quantity)))
        errors = response.context["items"].forms[0].errors["quantity"]
        assert errors == ["신청당 최대 100 TB까지 신청할 수 있습니다."]


# --- Error summary and partial drafts --------------------------------------------------------------


def test_a_draft_with_one_bad_row_keeps_the_good_rows_and_shows_the_bad_one(
    owner_client, draft, open_call, gpu, storage
):
    data = rows_data(row(open_call, gpu, 4), row(open_call, storage, 500))

    response = owner_client.post(step_url(draft, "resources"), data)

    assert response.status_code == 200
    assert list(draft.items.values_list("offering", "quantity")) == [(gpu.pk, 4)]
    soup = page(response)
    assert title(soup).startswith("오류: ")
    summary = error_summary(soup)
    assert summary["role"] == "alert"
    assert summary["tabindex"] == "-1"
    assert summary.has_attr("autofocus")
    assert [link["href"] for link in summary.find_all("a")] == ["#id_items-1-quantity"]
    assert "신청 자원 2의 수량: 신청당 최대 100 TB까지" in summary.get_text()
    field = soup.find(id="id_items-1-quantity")
    assert field["value"] == "500"
    assert field["aria-invalid"] == "true"
    message_id = "id_items-1-quantity_error"
    assert message_id in field["aria-describedby"].split()
    assert "신청당 최대 100 TB까지" in soup.find(id=message_id).get_text()


def test_the_same_resource_twice_keeps_the_first_row_and_says_why_of_the_second(owner_client, draft, open_call, gpu):
    response = owner_client.post(
        step_url(draft, "resources"), rows_data(row(open_call, gpu, 4), row(open_call, gpu, 2))
    )

    assert response.status_code == 200
    assert list(draft.items.values_list("quantity", flat=True)) == [4]
    assert [link["href"] for link in error_summary(page(response)).find_all("a")] == ["#id_items-1-offering"]


def test_a_project_step_with_one_bad_field_saves_the_others(owner_client, draft):
    response = post_step(
        owner_client, draft, "project", {"project_title": "x" * 201, "plan": "학습 계획", "summary": "요약"}
    )

    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.project_title, draft.plan, draft.summary) == ("", "학습 계획", "요약")
    soup = page(response)
    assert [link["href"] for link in error_summary(soup).find_all("a")] == ["#id_project_title"]
    assert soup.find(id="id_project_title")["aria-invalid"] == "true"


def test_a_refused_evidence_keeps_the_accepted_certificate_which_is_not_asked_for_again(owner_client, draft):
    post_step(owner_client, draft, "priority", {"claim-gwangju_located-claimed": "on"})
    data = {
        "business_certificate": pdf("사업자등록증.pdf"),
        "evidence_gwangju_located": SimpleUploadedFile("소재지.pdf", b"<html></html>"),
    }

    response = post_step(owner_client, draft, "documents", data)

    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.business_certificate
    assert draft.business_certificate_name == "사업자등록증.pdf"
    soup = page(response)
    assert [link["href"] for link in error_summary(soup).find_all("a")] == ["#id_evidence_gwangju_located"]
    kept = soup.find(id="id_business_certificate_kept")
    assert "사업자등록증.pdf" in kept.get_text()
    assert "사업자등록증.pdf" in soup.find(id="id_business_certificate_helptext").get_text()
    # The certificate is complete: the review page does not ask for it.
    review = owner_client.get(step_url(draft, "review"))
    assert "사업자등록증을 첨부하세요" not in review.content.decode()


# --- Review and submission -------------------------------------------------------------------------


def test_the_review_page_shows_everything_the_problems_and_the_points_claimed(owner_client, draft, open_call, gpu):
    post_draft(owner_client, draft, edit_form_data(open_call, claims={"gwangju_located": {"details": "본사"}}))

    soup = page(owner_client.get(step_url(draft, "review")))
    text = soup.get_text()

    assert "제조 결함 탐지 모델 학습" in text
    assert "A100 GPU" in text
    assert "광주 소재 기업" in text
    assert "30" in soup.find("section", attrs={"aria-labelledby": "review-priority"}).get_text()
    problems = soup.find(id="problems")
    hrefs = [link["href"] for link in problems.find_all("a")]
    assert step_url(draft, "documents") + "?check=1#id_business_certificate" in hrefs
    assert step_url(draft, "documents") + "?check=1#id_evidence_gwangju_located" in hrefs
    assert soup.find("form", attrs={"action": reverse("application_submit", args=[draft.pk])}) is not None


def test_a_failed_submit_shows_the_review_page_with_the_summary_not_a_pile_of_alerts(owner_client, draft):
    response = owner_client.post(reverse("application_submit", args=[draft.pk]))

    assert response.status_code == 200
    soup = page(response)
    assert title(soup).startswith("오류: ")
    summary = error_summary(soup)
    assert summary["role"] == "alert" and summary.has_attr("autofocus")
    hrefs = [link["href"] for link in summary.find_all("a")]
    assert step_url(draft, "project") + "?check=1#id_purpose" in hrefs
    assert step_url(draft, "resources") + "?check=1#id_items-0-offering" in hrefs
    assert step_url(draft, "documents") + "?check=1#id_business_certificate" in hrefs
    # One list: no warning box repeating it, no message alerts.
    assert soup.find(id="problems") is None
    assert soup.find_all(cls="alert-danger") == [summary] or [n.attrs for n in soup.find_all(cls="alert-danger")] == [
        summary.attrs
    ]
    assert not soup.find_all(cls="alert-warning")
    draft.refresh_from_db()
    assert draft.status == draft.Status.DRAFT


def test_a_summary_link_opens_its_step_with_the_field_marked(owner_client, draft):
    soup = page(owner_client.get(step_url(draft, "project") + "?check=1"))

    field = soup.find(id="id_purpose")
    assert field["aria-invalid"] == "true"
    assert "id_purpose_error" in field["aria-describedby"].split()
    assert "#id_purpose" in [link["href"] for link in error_summary(soup).find_all("a")]
    assert not error_summary(soup).has_attr("autofocus")  # the field named in the address takes the focus


def test_the_review_page_submits_a_complete_draft(owner_client, draft, open_call, gpu):
    complete(draft, gpu, 2)

    response = owner_client.post(reverse("application_submit", args=[draft.pk]))

    assert response["Location"] == reverse("application_detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == draft.Status.SUBMITTED


# --- File names and sizes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("사업자등록증.pdf", "사업자등록증.pdf"),
        ("C:\\Users\\김\\Desktop\\사업자등록증.pdf", "사업자등록증.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("bad\x00na\x1bme\u202e.pdf", "badname.pdf"),
        ("  two   spaces\tand tab .pdf", "two spaces and tab .pdf"),
        ("사업자등록증.pdf".encode().decode("utf-8").replace("사", "\u1109\u1161"), "사업자등록증.pdf"),
        ("..", ""),
        ("a" * 300 + ".pdf", "a" * (uploads.MAX_ORIGINAL_NAME - 4) + ".pdf"),
    ],
)
def test_the_original_file_name_is_kept_sanitised(given, kept):
    assert uploads.original_name(given) == kept


def test_a_certificate_is_downloaded_under_its_original_name(owner_client, draft):
    post_step(owner_client, draft, "documents", {"business_certificate": pdf("사업자등록증.pdf")})

    response = owner_client.get(reverse("application_certificate", args=[draft.pk]))

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote('사업자등록증.pdf')}" in disposition
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_claim_evidence_is_downloaded_under_its_original_name(owner_client, draft):
    post_step(owner_client, draft, "priority", {"claim-cluster_participant-claimed": "on"})
    post_step(owner_client, draft, "documents", {"evidence_cluster_participant": pdf("협약서 (2026).pdf")})
    claim = PriorityClaim.objects.get(application=draft)

    response = owner_client.get(reverse("claim_evidence", args=[claim.pk]))

    assert claim.evidence_name == "협약서 (2026).pdf"
    assert f"filename*=utf-8''{quote('협약서 (2026).pdf')}" in response["Content-Disposition"]


def test_one_byte_over_the_limit_is_not_called_10_mb():
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (MAX_UPLOAD_BYTES + 1 - 11) + b"\n%%EOF")
    assert upload.size == MAX_UPLOAD_BYTES + 1

    with pytest.raises(Exception) as refused:
        validate_evidence_file(upload)

    message = " ".join(refused.value.messages)
    assert "10.0" not in message
    assert "10,485,761" in message and "10,485,760" in message


def test_the_file_input_carries_its_limit_for_the_browser(owner_client, draft):
    soup = page(owner_client.get(step_url(draft, "documents")))

    field = soup.find(id="id_business_certificate")
    assert field["data-max-bytes"] == str(MAX_UPLOAD_BYTES)
    assert "%(limit)s" in field["data-too-large"] and "%(size)s" in field["data-too-large"]
    assert re.search(r"js/application_form(\.[0-9a-f]+)?\.js", response_scripts(soup))


def response_scripts(soup) -> str:
    return " ".join(script.get("src", "") for script in soup.find_all("script"))


def test_claims_stand_in_fieldsets_named_after_them(owner_client, draft):
    soup = page(owner_client.get(step_url(draft, "priority")))

    names = legends(soup, soup.find("main"))
    assert names[0].startswith("광주 소재 기업")
    assert len(names) == len(PriorityClaim.Kind.values)
