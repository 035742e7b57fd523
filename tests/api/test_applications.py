"""The applicant's applications through the API: the same services and checks as the site."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Application, PriorityClaim
from tests.api.conftest import assert_problem
from tests.applications.conftest import MINIMAL_PDF, png_bytes
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def start(api, call, organization):
    response = api.post("/api/v1/applications/", {"call": call.pk, "organization": organization.pk}, format="json")
    assert response.status_code in (200, 201), response.content
    return response


def put(api, path, body, etag, **kwargs):
    return api.put(path, body, format=kwargs.pop("format", "json"), HTTP_IF_MATCH=etag, **kwargs)


def test_the_whole_flow_from_draft_to_submission(applicant_api, open_call, organization, gpu):
    response = start(applicant_api, open_call, organization)
    assert response.status_code == 201
    draft = response.json()
    path = f"/api/v1/applications/{draft['id']}/"
    etag = response["ETag"]

    response = applicant_api.patch(
        path,
        {
            "purpose": "training",
            "project_title": "제조 결함 탐지",
            "summary": "요약",
            "plan": "계획",
            "expected_outcome": "효과",
            "industry_domain": "automotive",
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    etag = response["ETag"]
    row = {"offering": gpu.pk, "quantity": 4, "starts_on": "2000-01-01", "ends_on": "2000-01-02"}
    row.update(starts_on=open_call.service_starts_on.isoformat(), ends_on=open_call.service_ends_on.isoformat())
    response = put(applicant_api, f"{path}resources/", {"items": [row]}, etag)
    assert response.status_code == 200, response.content
    etag = response["ETag"]
    response = put(applicant_api, f"{path}claims/", {"claims": [{"kind": "gwangju_located", "details": "본사"}]}, etag)
    assert response.status_code == 200, response.content
    etag = response["ETag"]

    problems = applicant_api.get(f"{path}problems/").json()
    assert problems["complete"] is False
    assert len(problems["problems"]) == 2  # the certificate, the claim's evidence

    response = put(applicant_api, f"{path}certificate/", {"file": pdf("certificate.pdf")}, etag, format="multipart")
    assert response.status_code == 200, response.content
    etag = response["ETag"]
    response = put(applicant_api, f"{path}claims/gwangju_located/evidence/", {"file": pdf()}, etag, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["claims"][0]["has_evidence"] is True
    assert applicant_api.get(f"{path}problems/").json() == {"complete": True, "problems": []}

    response = applicant_api.post(f"{path}submit/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    application = Application.objects.get(pk=draft["id"])
    assert application.status == Application.Status.SUBMITTED
    assert application.items.get().quantity == 4
    assert application.claims.get().evidence

    history = applicant_api.get(f"{path}history/").json()
    assert [event["to_status"] for event in history["events"]] == ["draft", "submitted"]
    score = applicant_api.get(f"{path}score/").json()
    assert score["total"] == 0 and score["pending"] == 30
    assert score["breakdown"] == [{"kind": "gwangju_located", "points": 30, "verification": "pending", "counts": False}]


def test_starting_twice_finds_the_same_draft(applicant_api, open_call, organization):
    first = start(applicant_api, open_call, organization)
    second = start(applicant_api, open_call, organization)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


def test_starting_for_another_organisation_is_refused_without_saying_it_exists(
    applicant_api, open_call, other_organization
):
    response = applicant_api.post(
        "/api/v1/applications/", {"call": open_call.pk, "organization": other_organization.pk}, format="json"
    )

    body = assert_problem(response, 400, "invalid")
    assert set(body["errors"]) == {"organization"}
    assert not Application.objects.exists()


def test_a_draft_change_needs_if_match_and_a_stale_one_is_refused(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    path = f"/api/v1/applications/{draft.pk}/"
    etag = applicant_api.get(path)["ETag"]

    missing = applicant_api.patch(path, {"project_title": "A"}, format="json")
    changed = applicant_api.patch(path, {"project_title": "B"}, format="json", HTTP_IF_MATCH=etag)
    stale = applicant_api.patch(path, {"project_title": "C"}, format="json", HTTP_IF_MATCH=etag)

    assert_problem(missing, 428, "precondition-required")
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert_problem(stale, 412, "precondition-failed")
    draft.refresh_from_db()
    assert draft.project_title == "B"


def test_resources_are_checked_as_the_site_checks_them(applicant_api, organization, open_call, gpu):
    draft = ApplicationFactory(organization=organization, call=open_call)
    path = f"/api/v1/applications/{draft.pk}/"
    etag = applicant_api.get(path)["ETag"]
    row = {
        "offering": gpu.pk,
        "quantity": 9,  # the call allows 8 per application
        "starts_on": open_call.service_starts_on.isoformat(),
        "ends_on": open_call.service_ends_on.isoformat(),
    }

    response = put(applicant_api, f"{path}resources/", {"items": [row]}, etag)

    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]["items"][0]) == ["quantity"]
    assert "8" in body["errors"]["items"][0]["quantity"][0]
    assert not draft.items.exists()


def test_an_upload_gets_the_sites_content_checks(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    PriorityClaim.objects.create(application=draft, kind="gwangju_located")
    path = f"/api/v1/applications/{draft.pk}/"
    etag = applicant_api.get(path)["ETag"]
    disguised = SimpleUploadedFile("evidence.pdf", b"<html><script>alert(1)</script></html>")

    response = put(
        applicant_api, f"{path}claims/gwangju_located/evidence/", {"file": disguised}, etag, format="multipart"
    )

    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["file"]
    assert not PriorityClaim.objects.get(application=draft).evidence


def test_a_png_evidence_is_accepted(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    PriorityClaim.objects.create(application=draft, kind="gwangju_located")
    path = f"/api/v1/applications/{draft.pk}/"
    etag = applicant_api.get(path)["ETag"]
    image = SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")

    response = put(applicant_api, f"{path}claims/gwangju_located/evidence/", {"file": image}, etag, format="multipart")

    assert response.status_code == 200, response.content
    assert PriorityClaim.objects.get(application=draft).evidence.name.endswith(".png")
    (claim,) = response.json()["claims"]
    assert claim["evidence_name"] == "scan.png"


def test_the_certificate_is_shown_by_the_name_it_was_uploaded_with(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    path = f"/api/v1/applications/{draft.pk}/"
    response = applicant_api.get(path)
    assert response.json()["certificate_name"] is None

    response = put(
        applicant_api, f"{path}certificate/", {"file": pdf("사업자등록증.pdf")}, response["ETag"], format="multipart"
    )

    assert response.status_code == 200, response.content
    assert response.json()["certificate_name"] == "사업자등록증.pdf"
    assert applicant_api.get(path).json()["certificate_name"] == "사업자등록증.pdf"


def test_evidence_for_an_unclaimed_priority_is_a_404(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    path = f"/api/v1/applications/{draft.pk}/"
    etag = applicant_api.get(path)["ETag"]

    response = put(applicant_api, f"{path}claims/relocating/evidence/", {"file": pdf()}, etag, format="multipart")

    assert_problem(response, 404, "not-found")


def test_an_incomplete_submission_lists_what_is_missing(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)

    response = applicant_api.post(f"/api/v1/applications/{draft.pk}/submit/")

    body = assert_problem(response, 409, "application-incomplete")
    assert len(body["problems"]) == 2  # the certificate, a resource
    draft.refresh_from_db()
    assert draft.status == Application.Status.DRAFT


def test_a_submitted_application_can_no_longer_be_changed(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    etag = applicant_api.get(f"/api/v1/applications/{draft.pk}/")["ETag"]
    Application.objects.filter(pk=draft.pk).update(status=Application.Status.WITHDRAWN)
    etag = applicant_api.get(f"/api/v1/applications/{draft.pk}/")["ETag"]

    response = applicant_api.patch(
        f"/api/v1/applications/{draft.pk}/", {"project_title": "X"}, format="json", HTTP_IF_MATCH=etag
    )

    assert_problem(response, 403, "not-allowed")


def test_withdrawal(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)

    response = applicant_api.post(f"/api/v1/applications/{draft.pk}/withdraw/", {"reason": "계획 변경"}, format="json")
    again = applicant_api.post(f"/api/v1/applications/{draft.pk}/withdraw/", {}, format="json")

    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert_problem(again, 403, "not-allowed")
    assert draft.transitions.last().reason == "계획 변경"


def test_the_list_holds_only_my_organisations_applications(applicant_api, organization, other_organization, open_call):
    mine = ApplicationFactory(organization=organization, call=open_call)
    ApplicationFactory(organization=other_organization, call=open_call)

    body = applicant_api.get("/api/v1/applications/").json()

    assert [row["id"] for row in body["results"]] == [mine.pk]


def test_an_etag_read_in_one_language_is_good_for_a_write_in_another(applicant_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)
    path = f"/api/v1/applications/{draft.pk}/"
    english = applicant_api.get(path, HTTP_ACCEPT_LANGUAGE="en")
    korean = applicant_api.get(path, HTTP_ACCEPT_LANGUAGE="ko")
    assert english.json()["next_step"] != korean.json()["next_step"]  # the representation is translated

    response = applicant_api.patch(
        path,
        {"project_title": "Protein folding"},
        format="json",
        HTTP_IF_MATCH=english["ETag"],
        HTTP_ACCEPT_LANGUAGE="ko",
    )

    assert response.status_code == 200, response.content
    assert response.json()["project_title"] == "Protein folding"


def test_a_gwangju_claim_from_elsewhere_is_a_400_on_the_claims_details(applicant_api, organization, open_call):
    type(organization).objects.filter(pk=organization.pk).update(
        region="seoul", address="(06164) 서울특별시 강남구 테헤란로 1"
    )
    draft = ApplicationFactory(organization=organization, call=open_call)
    path = f"/api/v1/applications/{draft.pk}/"
    etag = applicant_api.get(path)["ETag"]

    response = put(applicant_api, f"{path}claims/", {"claims": [{"kind": "gwangju_located", "details": "본사"}]}, etag)

    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]["claims"][0]) == ["details"]
    assert "광주광역시" in body["errors"]["claims"][0]["details"][0]
    assert not draft.claims.exists()
