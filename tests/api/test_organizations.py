"""Organisations through the API: the site's form checks what is sent, the services change it."""

import pytest

from applications.models import Application, Membership, Organization
from tests.api.conftest import assert_problem
from tests.conftest import make_user
from tests.factories import ApplicationFactory, MembershipFactory, business_number

pytestmark = pytest.mark.django_db


def profile(**changes) -> dict:
    return {
        "legal_name": "빛고을 AI",
        "org_type": "sme",
        "registration_number": business_number(321),
        "region": "gwangju",
        "address": "광주광역시 북구 첨단과기로 123",
        "industry": "automotive",
        "employees": 12,
        **changes,
    }


def test_registering_an_organisation_makes_me_its_owner(applicant_api, applicant):
    response = applicant_api.post("/api/v1/organizations/", profile(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "owner"
    assert Membership.objects.get(user=applicant, organization_id=body["id"]).role == Membership.Role.OWNER


def test_the_sites_rules_check_what_is_sent(applicant_api):
    valid = business_number(5)
    wrong_check_digit = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    response = applicant_api.post(
        "/api/v1/organizations/",
        profile(registration_number=wrong_check_digit, region="gyeonggi"),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    body = assert_problem(response, 400, "invalid")
    assert {"registration_number", "address"} <= set(body["errors"])
    assert not Organization.objects.exists()


def test_i_list_only_my_organisations(applicant_api, organization, other_organization):
    body = applicant_api.get("/api/v1/organizations/").json()

    assert [(row["id"], row["role"]) for row in body["results"]] == [(organization.pk, "owner")]


def test_the_owner_updates_with_the_etag_read(applicant_api, organization):
    path = f"/api/v1/organizations/{organization.pk}/"
    etag = applicant_api.get(path)["ETag"]

    response = applicant_api.patch(path, {"employees": 40}, format="json", HTTP_IF_MATCH=etag)
    stale = applicant_api.patch(path, {"employees": 41}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200 and response.json()["employees"] == 40
    assert response["ETag"] != etag
    assert_problem(stale, 412, "precondition-failed")
    organization.refresh_from_db()
    assert organization.employees == 40


def test_an_update_without_if_match_is_allowed(applicant_api, organization):
    response = applicant_api.patch(f"/api/v1/organizations/{organization.pk}/", {"employees": 3}, format="json")

    assert response.status_code == 200


def test_a_plain_member_reads_but_does_not_change(api_client_for, organization):
    member = make_user("member@example.kr")
    MembershipFactory(organization=organization, user=member, role=Membership.Role.MEMBER)
    api = api_client_for(member)

    assert api.get(f"/api/v1/organizations/{organization.pk}/").json()["role"] == "member"
    response = api.patch(f"/api/v1/organizations/{organization.pk}/", {"employees": 1}, format="json")

    assert_problem(response, 403, "not-allowed")


def test_a_decided_organisations_identity_is_refused(applicant_api, organization, open_call):
    ApplicationFactory(
        organization=organization,
        call=open_call,
        status=Application.Status.REJECTED,
        submitted_at="2026-01-01T00:00:00Z",
    )
    path = f"/api/v1/organizations/{organization.pk}/"

    response = applicant_api.patch(path, {"legal_name": "바뀐 이름"}, format="json")

    assert_problem(response, 409, "identity-frozen")
    assert applicant_api.get(path).json()["identity_frozen"] is True
    organization.refresh_from_db()
    assert organization.legal_name == "광주 AI 주식회사"
