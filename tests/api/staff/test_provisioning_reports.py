"""POST /api/v1/staff/allocations/<id>/provisioning-report/: an external provisioner reports back."""

import pytest

from allocations.models import Allocation
from allocations.services import decisions, provisioning
from tests.api.conftest import STAFF_SCOPES, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(settings, reviewer, ranked):
    settings.PROVISIONER_BACKEND = "allocations.backends.reported.ReportedProvisioner"
    (allocation,) = decisions.application_approve(actor=reviewer, application=ranked[1])
    return provisioning.allocation_provision(allocation_id=allocation.pk)


def report(client, allocation, **body):
    return client.post(f"/api/v1/staff/allocations/{allocation.pk}/provisioning-report/", body, format="json")


def test_a_provisioned_report_activates_the_allocation(operator, operator_api, claimed):
    response = report(
        operator_api, claimed, outcome="provisioned", expected_state="provisioning", external_ref="k8s/ns/a1"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["external_ref"]) == ("active", "k8s/ns/a1")
    assert claimed.transitions.latest("pk").actor == operator


def test_the_same_report_twice_answers_the_same_and_changes_nothing(operator_api, claimed):
    body = {"outcome": "provisioned", "expected_state": "provisioning", "external_ref": "k8s/ns/a1"}
    first = report(operator_api, claimed, **body)
    transitions = claimed.transitions.count()

    second = report(operator_api, claimed, **body)

    assert second.status_code == 200
    assert second.json() == first.json()
    assert claimed.transitions.count() == transitions


def test_a_report_from_another_state_is_a_409_with_the_current_state(operator_api, claimed):
    body = assert_problem(
        report(operator_api, claimed, outcome="provisioned", expected_state="pending", external_ref="x"),
        409,
        "report-refused",
    )

    assert body["current_state"] == "provisioning"


def test_a_failure_report_fails_the_allocation(operator_api, claimed):
    response = report(operator_api, claimed, outcome="failed", expected_state="provisioning", reason="quota exceeded")

    assert response.json()["state"] == "failed"
    assert response.json()["last_error"] == "quota exceeded"


def test_a_reviewer_may_not_report(reviewer_api, claimed):
    assert_problem(
        report(reviewer_api, claimed, outcome="provisioned", expected_state="provisioning", external_ref="x"), 403
    )
    claimed.refresh_from_db()
    assert claimed.state == Allocation.State.PROVISIONING


def test_an_unknown_outcome_is_a_400(operator_api, claimed):
    body = assert_problem(report(operator_api, claimed, outcome="done", expected_state="provisioning"), 400)

    assert set(body["errors"]) == {"outcome"}


def test_a_report_is_refused_when_the_portal_provisions_itself(operator, api_client_for, claimed, settings):
    settings.PROVISIONER_BACKEND = "allocations.backends.modelled.ModelledCloudProvisioner"
    english = api_client_for(operator, STAFF_SCOPES, language="en")

    response = report(english, claimed, outcome="provisioned", expected_state="provisioning", external_ref="k8s/ns/a1")

    body = assert_problem(response, 409)
    assert "provisioning reports" in body["detail"]
    korean = report(
        api_client_for(operator, STAFF_SCOPES, language="ko"),
        claimed,
        outcome="provisioned",
        expected_state="provisioning",
        external_ref="k8s/ns/a1",
    )
    assert "보고는 받지 않습니다" in assert_problem(korean, 409)["detail"]
    claimed.refresh_from_db()
    assert (claimed.state, claimed.external_ref) == ("provisioning", "")
