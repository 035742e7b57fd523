"""Every object endpoint of the applicant's API answers another organisation's object with a
404 (never a 403 that would confirm it exists) and writes nothing, whatever the method; its own
organisation's member reads it. The endpoints are walked from the URL map, so a new one without
an object here fails."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_create
from tests.security.patterns import database_writes, project_url_patterns

pytestmark = pytest.mark.django_db

# Each applicant endpoint that names an object: the world's object of the owner's organisation
# it is asked about (its id is the pk; the claim kind where the path has one).
OBJECTS = {
    "api_organization_detail": "organization",
    "api_application_detail": "draft",
    "api_application_resources": "draft",
    "api_application_claims": "draft",
    "api_claim_evidence": "draft",
    "api_application_certificate": "draft",
    "api_application_problems": "draft",
    "api_application_submit": "draft",
    "api_application_withdraw": "submitted",
    "api_application_history": "submitted",
    "api_application_score": "submitted",
    "api_allocation_detail": "award",
    "api_allocation_usage": "award",
    "api_change_request_detail": "change_request",
    "api_change_request_withdraw": "change_request",
    "api_report_detail": "report",
    "api_report_submit": "report",
}
# Public objects (a call is every applicant's to read).
PUBLIC = {"api_call_detail"}


def applicant_object_patterns() -> set[str]:
    """The URL names of the API's endpoints under /api/v1/ (not the staff's) that take an id."""
    return {
        pattern.key
        for pattern in project_url_patterns()
        if pattern.route.startswith("api/v1/")
        and not pattern.route.startswith("api/v1/staff/")
        and "<int:pk>" in pattern.route
    }


def methods_of(path: str) -> list[str]:
    view = resolve(path).func.view_class  # type: ignore[attr-defined]
    return [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def client_of(user) -> APIClient:
    _row, token = token_create(
        actor=user, name="idor", scopes={"read", "write"}, expires_at=timezone.now() + timedelta(days=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IF_MATCH="*")
    # The token's first use records it (once a minute); what follows must write nothing.
    assert client.get("/api/v1/calls/").status_code == 200
    return client


def path_of(name: str, world) -> str:
    obj = getattr(world, OBJECTS[name])
    kwargs = {"pk": obj.pk}
    if name == "api_claim_evidence":
        kwargs["kind"] = "gwangju_located"
    return reverse(name, kwargs=kwargs)


def test_every_applicant_object_endpoint_has_an_object_here():
    names = applicant_object_patterns()

    assert sorted(names - set(OBJECTS) - PUBLIC) == []
    assert sorted(set(OBJECTS) - names) == []


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_another_organisations_object_is_a_404_whatever_the_method(world, name):
    outsider = client_of(world.user("outsider"))
    path = path_of(name, world)
    answers = {}
    for method in methods_of(path):
        with transaction.atomic():
            before = database_writes()
            response = getattr(outsider, method.lower())(path, {}, format="json")
            answers[method] = (response.status_code, response["Content-Type"], database_writes() - before)
            transaction.set_rollback(True)

    assert answers == {method: (404, "application/problem+json", 0) for method in answers}


READABLE = sorted(
    name
    for name in OBJECTS
    if not name.endswith(("_resources", "_claims", "_evidence", "_certificate", "_submit", "_withdraw"))
)


def test_the_readable_ones_are_those_with_a_get(world):
    assert READABLE == sorted(name for name in OBJECTS if "GET" in methods_of(path_of(name, world)))


@pytest.mark.parametrize("name", READABLE)
def test_its_own_member_reads_it(world, name):
    path = path_of(name, world)
    response = client_of(world.user("member")).get(path)

    assert response.status_code == 200, response.content
