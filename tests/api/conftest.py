"""API clients with personal tokens, for the named cast of tests/conftest.py.

    def test_it_lists_open_calls(applicant_api, open_call):
        response = applicant_api.get("/api/v1/calls/")

``api_client_for(user, scopes=…, language="en")`` makes any other; ``token_for(user, …)`` returns
the token itself (a string), for a client of your own or a raw HTTP request against a live server.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_create

# The applicant side's fixtures (an open call, the applicant's organisation) and an active award.
from tests.aftercare.conftest import allocation, award, call  # noqa: F401
from tests.applications.conftest import gpu, open_call, organization, other_organization, storage  # noqa: F401

APPLICANT_SCOPES = ("read", "write")
STAFF_SCOPES = ("read", "write", "staff")


@pytest.fixture
def token_for(db):
    def make(user, scopes=APPLICANT_SCOPES, *, days: int = 30, name: str = "test") -> str:
        _row, token = token_create(
            actor=user, name=name, scopes=set(scopes), expires_at=timezone.now() + timedelta(days=days)
        )
        return token

    return make


@pytest.fixture
def api_client_for(token_for):
    def make(user, scopes=APPLICANT_SCOPES, *, language: str | None = None) -> APIClient:
        client = APIClient()
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(user, scopes)}"}
        if language:
            headers["HTTP_ACCEPT_LANGUAGE"] = language
        client.credentials(**headers)
        return client

    return make


@pytest.fixture
def applicant_api(applicant, api_client_for):
    return api_client_for(applicant)


@pytest.fixture
def other_org_api(other_org_applicant, api_client_for):
    return api_client_for(other_org_applicant)


@pytest.fixture
def reviewer_api(reviewer, api_client_for):
    return api_client_for(reviewer, STAFF_SCOPES)


@pytest.fixture
def operator_api(operator, api_client_for):
    return api_client_for(operator, STAFF_SCOPES)


def assert_problem(response, status: int, slug: str | None = None) -> dict:
    """``response`` is RFC 9457 problem details with ``status`` (and the type ``slug``); its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= set(body), body
    assert body["status"] == status
    if slug is not None:
        assert body["type"].endswith(f"/api/problems/#{slug}"), body["type"]
    return body
