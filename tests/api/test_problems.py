"""Every refusal is RFC 9457 problem details, in the caller's language (Korean by default)."""

import pytest

from tests.api.conftest import assert_problem
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_no_credentials_in_korean_by_default(client):
    body = assert_problem(client.get("/api/v1/applications/"), 401, "not-authenticated")

    assert body["title"] == "인증이 필요합니다"
    assert body["instance"] == "/api/v1/applications/"
    assert any("가" <= character <= "힣" for character in body["detail"])


def test_no_credentials_in_english_when_asked(client):
    response = client.get("/api/v1/applications/", HTTP_ACCEPT_LANGUAGE="en")

    body = assert_problem(response, 401, "not-authenticated")
    assert body["title"] == "Authentication needed"
    assert body["detail"] == "Authentication credentials were not provided."
    assert response["Content-Language"] == "en"


def test_field_errors_are_keyed_by_field_in_the_callers_language(applicant, api_client_for):
    korean = api_client_for(applicant).post("/api/v1/applications/", {"call": "x"}, format="json")
    english = api_client_for(applicant, language="en").post("/api/v1/applications/", {"call": "x"}, format="json")

    korean_body, english_body = assert_problem(korean, 400, "invalid"), assert_problem(english, 400, "invalid")
    assert set(korean_body["errors"]) == set(english_body["errors"]) == {"call", "organization"}
    assert english_body["errors"]["organization"] == ["This field is required."]
    assert korean_body["errors"]["organization"] != english_body["errors"]["organization"]
    assert english_body["detail"] == "Some fields are not valid; see errors."


def test_a_domain_refusal_is_a_problem_in_the_callers_language(applicant, api_client_for, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)

    korean = api_client_for(applicant).post(f"/api/v1/applications/{draft.pk}/submit/")
    english = api_client_for(applicant, language="en").post(f"/api/v1/applications/{draft.pk}/submit/")

    assert_problem(korean, 409, "application-incomplete")
    body = assert_problem(english, 409, "application-incomplete")
    assert "Attach the business registration certificate." in body["problems"]
    assert korean.json()["problems"] != body["problems"]


def test_another_organisations_object_is_a_404_problem(other_org_api, organization, open_call):
    draft = ApplicationFactory(organization=organization, call=open_call)

    body = assert_problem(other_org_api.get(f"/api/v1/applications/{draft.pk}/"), 404, "not-found")

    assert body["instance"] == f"/api/v1/applications/{draft.pk}/"


def test_an_unknown_address_under_the_api_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/nowhere/"), 404, "not-found")
    assert_problem(client.delete("/api/anything"), 404, "not-found")


def test_a_wrong_method_is_a_405_problem(applicant_api):
    assert_problem(applicant_api.delete("/api/v1/calls/"), 405, "method-not-allowed")


def test_a_body_of_an_unknown_type_is_a_415_problem(applicant_api):
    response = applicant_api.post("/api/v1/applications/", "<xml/>", content_type="application/xml")

    assert_problem(response, 415, "unsupported-media-type")


def test_html_is_not_offered_406(applicant_api):
    assert_problem(applicant_api.get("/api/v1/calls/", HTTP_ACCEPT="text/html"), 406, "not-acceptable")


def test_malformed_json_is_a_400_problem(applicant_api):
    response = applicant_api.post("/api/v1/applications/", "{", content_type="application/json")

    assert_problem(response, 400)


def test_the_problem_types_page_explains_each_type(client, db):
    response = client.get("/api/problems/")

    assert response.status_code == 200
    for slug in ("invalid", "not-found", "precondition-required", "throttled"):
        assert f'id="{slug}"' in response.content.decode()
