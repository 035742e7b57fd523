"""The whole flow through the API alone, against a live server with a real Celery worker: an
applicant drafts, asks for resources, claims a priority with evidence and submits; a reviewer
finds it in the call's queue and approves it; the worker claims the allocation for the data
center's provisioning system (the remote-style ``ReportedProvisioner``: nothing is activated
until the system reports); the system sees it in the changes feed and reports it provisioned;
the feed then shows it active."""

import time
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from allocations.models import Allocation
from api.services import token_create
from applications.models import Application, Membership
from tests.allocations.conftest import make_call, make_pool
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import make_user
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REPORTED = "allocations.backends.reported.ReportedProvisioner"


class Api:
    """One caller of the live API with its token: JSON in, JSON out, the ETag kept."""

    def __init__(self, base: str, user, scopes: set[str]):
        _row, token = token_create(actor=user, name="e2e", scopes=scopes, expires_at=timezone.now() + timedelta(days=1))
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept-Language": "en"})
        self.etag = ""

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        url = path if path.startswith("http") else self.base + path
        response = self.session.request(method, url, timeout=30, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        self.etag = response.headers.get("ETag", self.etag)
        return response.json()

    def change(self, method: str, path: str, **kwargs) -> dict:
        """A change of the draft, sent with the ETag of the last answer (If-Match)."""
        return self.call(method, path, headers={"If-Match": self.etag}, **kwargs)


def wait_for(what: str, condition, within: float = 60):
    deadline = time.monotonic() + within
    while (result := condition()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} within {within} s")
        time.sleep(0.3)
    return result


def test_an_application_goes_from_draft_to_an_active_allocation_through_the_api_alone(
    settings, tmp_path, live_server, start_worker, task_queue, reviewer, operator
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROVISIONER_BACKEND = REPORTED
    start_worker(task_queue, PROVISIONER_BACKEND=REPORTED, MEDIA_ROOT=str(tmp_path / "media"))
    owner = make_user("owner@gwangju-ai.kr")
    organization = OrganizationFactory(legal_name="광주 AI 주식회사")
    MembershipFactory(organization=organization, user=owner, role=Membership.Role.OWNER)
    gpu = make_pool(10)
    call = make_call(gpu, max_per_application=8)
    applicant = Api(live_server.url, owner, {"read", "write"})
    staff = Api(live_server.url, reviewer, {"read", "write", "staff"})
    provisioner = Api(live_server.url, operator, {"read", "write", "staff"})

    # The applicant, through the API alone.
    draft = applicant.call(
        "POST", "/api/v1/applications/", 201, json={"call": call.pk, "organization": organization.pk}
    )
    path = f"/api/v1/applications/{draft['id']}/"
    applicant.change(
        "PATCH",
        path,
        json={
            "purpose": "training",
            "project_title": "제조 결함 탐지",
            "summary": "요약",
            "plan": "계획",
            "expected_outcome": "효과",
            "industry_domain": "automotive",
        },
    )
    period = {"starts_on": call.service_starts_on.isoformat(), "ends_on": call.service_ends_on.isoformat()}
    applicant.change("PUT", f"{path}resources/", json={"items": [{"offering": gpu.pk, "quantity": 4, **period}]})
    applicant.change("PUT", f"{path}claims/", json={"claims": [{"kind": "gwangju_located", "details": "본사"}]})
    pdf = ("document.pdf", MINIMAL_PDF, "application/pdf")
    applicant.change("PUT", f"{path}certificate/", files={"file": pdf})
    applicant.change("PUT", f"{path}claims/gwangju_located/evidence/", files={"file": pdf})
    assert applicant.call("GET", f"{path}problems/") == {"complete": True, "problems": []}
    assert applicant.call("POST", f"{path}submit/")["status"] == "submitted"

    # The reviewer finds it in the call's queue and approves it.
    queue = staff.call("GET", f"/api/v1/staff/calls/{call.pk}/queue/")
    assert [(row["id"], row["rank"], row["refusal"]) for row in queue["results"]] == [(draft["id"], 1, None)]
    decided = staff.call("POST", f"/api/v1/staff/applications/{draft['id']}/decision/", json={"decision": "approve"})
    assert decided["status"] == "approved"
    [allocation_id] = [allocation["id"] for allocation in decided["allocations"]]

    # The provisioning system polls the feed: the worker has claimed the allocation for it.
    def claimed():
        page = provisioner.call("GET", "/api/v1/staff/allocations/changes/", params={"since": "2000-01-01T00:00:00Z"})
        rows = [row for row in page["results"] if row["id"] == allocation_id and row["state"] == "provisioning"]
        return (rows[0], page["next"]) if rows else None

    row, next_page = wait_for("claimed by the worker", claimed)
    assert (row["quantity"], row["offering"]["id"], row["organization"]["id"]) == (4, gpu.pk, organization.pk)
    report = {"outcome": "provisioned", "expected_state": "provisioning", "external_ref": "openstack/project/e2e"}
    active = provisioner.call("POST", f"/api/v1/staff/allocations/{allocation_id}/provisioning-report/", json=report)
    assert (active["state"], active["external_ref"]) == ("active", "openstack/project/e2e")
    again = provisioner.call("POST", f"/api/v1/staff/allocations/{allocation_id}/provisioning-report/", json=report)
    assert again == active

    later = provisioner.call("GET", next_page)
    assert [(row["id"], row["state"]) for row in later["results"]] == [(allocation_id, "active")]
    assert Application.objects.get(pk=draft["id"]).status == Application.Status.APPROVED
    assert Allocation.objects.get(pk=allocation_id).state == Allocation.State.ACTIVE
