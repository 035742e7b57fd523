"""Allocations, their usage (the metering selectors), change requests and reports through the API."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from aftercare.models import ChangeRequest, Report
from tests.aftercare.conftest import GRANTED
from tests.api.conftest import assert_problem
from tests.applications.conftest import MINIMAL_PDF
from tests.reclaim.conftest import record_usage

pytestmark = pytest.mark.django_db


def test_my_allocations(applicant_api, allocation, other_org_api):
    mine = applicant_api.get("/api/v1/allocations/").json()["results"]

    assert [(row["id"], row["state"], row["quantity"]) for row in mine] == [(allocation.pk, "active", GRANTED)]
    assert other_org_api.get("/api/v1/allocations/").json()["results"] == []
    assert_problem(other_org_api.get(f"/api/v1/allocations/{allocation.pk}/"), 404)


def test_usage_day_by_day_and_so_far(api_client_for, applicant, allocation):
    record_usage(allocation, {date(2031, 1, 1): 48, date(2031, 1, 2): 24})

    with time_machine.travel(date(2031, 1, 4)):
        body = api_client_for(applicant).get(f"/api/v1/allocations/{allocation.pk}/usage/").json()

    assert body["unit"] == "gpu"
    assert len(body["days"]) == 90
    assert body["days"][0] == {"day": "2031-01-01", "used": "48.0000", "granted": "96.0000"}
    assert body["days"][2]["used"] is None
    assert (body["used"], body["granted"], body["rate"]) == ("72.0000", "288.0000", "0.2500")


def test_asking_for_an_extension_and_withdrawing_it(applicant_api, allocation):
    ends_on = (allocation.ends_on + timedelta(days=30)).isoformat()

    response = applicant_api.post(
        "/api/v1/change-requests/",
        {"allocation": allocation.pk, "kind": "extension", "ends_on": ends_on, "justification": "학습 연장"},
        format="json",
    )
    again = applicant_api.post(
        "/api/v1/change-requests/",
        {"allocation": allocation.pk, "kind": "extension", "ends_on": ends_on, "justification": "또"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert_problem(again, 409, "aftercare-error")
    pk = response.json()["id"]
    withdrawn = applicant_api.post(f"/api/v1/change-requests/{pk}/withdraw/", {}, format="json")
    assert withdrawn.json()["status"] == "withdrawn"
    assert ChangeRequest.objects.get(pk=pk).status == ChangeRequest.Status.WITHDRAWN


def test_a_supplement_beyond_the_calls_maximum_is_refused_by_the_form(applicant_api, allocation):
    response = applicant_api.post(
        "/api/v1/change-requests/",
        {"allocation": allocation.pk, "kind": "supplement", "units": 9, "justification": "더"},
        format="json",
    )

    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["units"]


def test_filing_a_report_with_an_attachment(applicant_api, award, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = Report.objects.create(
        application=award,
        organization=award.organization,
        kind=Report.Kind.PROGRESS,
        period_starts_on=date(2031, 1, 1),
        period_ends_on=date(2031, 3, 31),
        requested_on=date(2031, 2, 1),
        due_on=date(2031, 2, 21),
    )
    path = f"/api/v1/reports/{report.pk}/submit/"
    attachment = SimpleUploadedFile("report.pdf", MINIMAL_PDF, content_type="application/pdf")

    response = applicant_api.post(path, {"work_done": "학습", "outcomes": "정확도 향상", "attachment": attachment})
    again = applicant_api.post(path, {"work_done": "학습", "outcomes": "정확도"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["has_attachment"] is True
    assert_problem(again, 409, "aftercare-error")
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED and report.attachment
    assert [row["id"] for row in applicant_api.get("/api/v1/reports/").json()["results"]] == [report.pk]
