"""Who reaches the staff's endpoints: every one, for every object, refuses a caller without the
staff scope (an applicant, even for their own organisation's objects; a staff member's token
without the scope; a staff member who lost the second factor), changes need the write scope as
well, the role's permission is the admin's, and an id that does not exist is a 404 problem."""

import pytest
from allauth.mfa.models import Authenticator

from allocations.services import decisions
from applications.models import Membership
from tests.api.conftest import assert_problem
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

PERIOD = "?starts_on=2031-01-01&ends_on=2031-01-31"
# (method, path with the world's ids, body)
ENDPOINTS = [
    ("get", "/api/v1/staff/calls/{call}/queue/", None),
    ("get", "/api/v1/staff/calls/{call}/stages/", None),
    ("get", "/api/v1/staff/applications/{application}/", None),
    ("post", "/api/v1/staff/applications/{application}/decision/", {"decision": "approve"}),
    ("get", "/api/v1/staff/applications/{application}/stage-results/", None),
    ("get", "/api/v1/staff/offerings/", None),
    ("get", "/api/v1/staff/offerings/{offering}/capacity/" + PERIOD, None),
    ("get", "/api/v1/staff/offerings/{offering}/usage/" + PERIOD, None),
    ("get", "/api/v1/staff/allocations/changes/", None),
    ("get", "/api/v1/staff/allocations/{allocation}/", None),
    ("get", "/api/v1/staff/allocations/{allocation}/usage/", None),
    (
        "post",
        "/api/v1/staff/allocations/{allocation}/provisioning-report/",
        {"outcome": "provisioned", "expected_state": "pending", "external_ref": "q/1"},
    ),
]
OBJECT_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if "{" in endpoint[1]]


@pytest.fixture
def world(applicant, reviewer, ranked, gpu_pool):
    """The applicant owns the organisation of the first application, whose allocation exists."""
    MembershipFactory(organization=ranked[0].organization, user=applicant, role=Membership.Role.OWNER)
    (allocation, _storage) = decisions.application_approve(actor=reviewer, application=ranked[0])
    return {
        "call": ranked[0].call_id,
        "application": ranked[1].pk,
        "offering": gpu_pool.pk,
        "allocation": allocation.pk,
    }


def request(client, method, path, body, world):
    return getattr(client, method)(path.format(**world), body, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_an_applicant_token_is_refused_every_staff_endpoint(applicant, api_client_for, world, method, path, body):
    client = api_client_for(applicant, ("read", "write"))

    assert_problem(request(client, method, path, body, world), 403)


@pytest.mark.parametrize(("method", "path", "body"), OBJECT_ENDPOINTS)
def test_an_applicant_is_refused_their_own_organisations_objects_too(
    applicant, api_client_for, world, ranked, method, path, body
):
    client = api_client_for(applicant, ("read", "write"))
    own = {**world, "application": ranked[0].pk}

    assert_problem(request(client, method, path, body, own), 403)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_staff_members_token_without_the_staff_scope_is_refused(reviewer, api_client_for, world, method, path, body):
    assert_problem(request(api_client_for(reviewer, ("read", "write")), method, path, body, world), 403)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_staff_token_is_refused_once_its_user_has_no_second_factor(
    operator, api_client_for, world, method, path, body
):
    client = api_client_for(operator, ("read", "write", "staff"))
    Authenticator.objects.filter(user=operator).delete()

    assert_problem(request(client, method, path, body, world), 403)


@pytest.mark.parametrize(("method", "path", "body"), [e for e in ENDPOINTS if e[0] == "post"])
def test_a_staff_token_without_the_write_scope_changes_nothing(operator, api_client_for, world, method, path, body):
    assert_problem(request(api_client_for(operator, ("read", "staff")), method, path, body, world), 403)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_no_token_is_a_401(client, world, method, path, body):
    response = getattr(client, method)(path.format(**world), body, content_type="application/json")

    assert_problem(response, 401)


@pytest.mark.parametrize(("method", "path", "body"), OBJECT_ENDPOINTS)
def test_an_id_that_does_not_exist_is_a_404(operator_api, reviewer_api, world, method, path, body):
    missing = {key: 987654 for key in world}
    client = reviewer_api if "decision" in path else operator_api

    assert_problem(request(client, method, path, body, missing), 404)
