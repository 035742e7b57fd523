"""The report forms show the award's usage over the report's period, and offer it as the first
lines of "what was done" for the applicant to keep, edit or delete (figures of
tests/dashboard/usage_world.py: 72 of 96 GPU-hours a day for 60 days)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from aftercare.models import Report
from aftercare.selectors import report_usage
from tests.dashboard.usage_world import build_usage_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def usage(applicant, other_org_applicant):
    return build_usage_world(applicant, other_org_applicant)


@pytest.fixture
def progress_report(usage):
    allocation = usage.busy
    return Report.objects.create(
        application=allocation.application_item.application,
        organization=allocation.organization,
        kind=Report.Kind.PROGRESS,
        period_starts_on=allocation.starts_on,
        period_ends_on=allocation.ends_on,
        requested_on=usage.today,
        due_on=usage.today + timedelta(days=21),
    )


def test_the_report_reads_the_usage_of_its_period_so_far(progress_report, usage):
    [row] = report_usage(progress_report, usage.today)

    assert row.allocation == usage.busy
    # Up to yesterday, the last day a source can have collected: 60 days.
    assert (row.utilisation.used, row.utilisation.granted) == (Decimal(4320), Decimal(4 * 24 * 60))
    assert row.rate == Decimal("75.0")
    assert row.units_in_use == Decimal("3.0")


def test_a_report_before_its_period_has_no_usage(progress_report, usage):
    assert report_usage(progress_report, usage.busy.starts_on - timedelta(days=1)) == []


def test_the_form_is_prefilled_with_the_usage_the_applicant_may_edit(client, applicant, progress_report):
    client.force_login(applicant)

    with translation.override("en"):
        response = client.get(reverse("report_detail", args=[progress_report.pk]), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    initial = response.context["form"]["work_done"].value()
    assert initial.startswith("Resources used (")
    assert "A100 GPU: on an average day 3 of 4 GPU in use (usage rate 75%)" in initial
    page = response.content.decode()
    assert 'id="report-usage"' in page
    assert reverse("allocation_usage", args=[progress_report.application.items.get().allocation.pk]) in page


def test_the_applicant_files_what_they_edited(client, applicant, progress_report):
    client.force_login(applicant)

    client.post(
        reverse("report_detail", args=[progress_report.pk]),
        {"work_done": "GPU 3개로 학습", "outcomes": "정확도 향상", "publications": ""},
    )

    progress_report.refresh_from_db()
    assert progress_report.is_submitted and progress_report.work_done == "GPU 3개로 학습"


def test_reviewers_read_the_usage_beside_the_report(client, reviewer, progress_report):
    client.force_login(reviewer)

    response = client.get(reverse("report_detail", args=[progress_report.pk]))

    assert response.status_code == 200
    assert 'id="report-usage"' in response.content.decode()
    assert response.context["form"] is None
