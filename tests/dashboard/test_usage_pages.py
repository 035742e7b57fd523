"""What people see of usage: the applicant's allocation page, the operator's used line, idle list
and usage rates, their CSV files, and the public statistics' usage rate per offering. The
figures of ``usage_world`` are worked out by hand in its docstring."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from applications.models import CallOffering, Membership
from dashboard import exports
from dashboard.charts import usage_chart
from dashboard.selectors.usage import allocation_usage, idle_list, recent_usage_rates, usage_breakdowns
from tests.conftest import make_user
from tests.dashboard.test_dashboard_views import csv_rows
from tests.dashboard.usage_world import build_usage_world, grant, record_usage
from tests.factories import CallFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def usage(applicant, other_org_applicant):
    return build_usage_world(applicant, other_org_applicant)


# --- The applicant's allocation page ---------------------------------------------------------------


def test_the_allocation_page_shows_its_members_used_against_granted(client, applicant, usage):
    client.force_login(applicant)

    response = client.get(reverse("allocation_usage", args=[usage.busy.pk]))

    assert response.status_code == 200
    figures = response.context["figures"]
    # 60 days collected of 72 GPU-hours, of 4 GPUs × 24 h granted a day; a budget of 90 days.
    assert figures.used == Decimal(4320)
    assert figures.granted_so_far == Decimal(5760)
    assert figures.rate == Decimal("75.0")
    assert figures.granted_total == Decimal(8640)
    assert figures.remaining == Decimal(4320)
    assert figures.budget_used == Decimal("50.0")
    assert figures.days_left == 29
    assert figures.average_units == pytest.approx(3.0)
    page = response.content.decode()
    assert 'id="usage-chart"' in page and "<title" in page  # the chart, named for screen readers
    assert 'id="usage-months"' in page  # and its figures as a table
    assert "75%" in page or "75.0%" in page


def test_the_chart_draws_the_grant_and_every_collected_day(usage):
    figures = allocation_usage(usage.busy, usage.today)

    chart = usage_chart(figures)

    assert chart is not None
    # One stretch of collected days (today and after are not collected): one closed area; the
    # same 3 GPUs every day make one step, from the first day to the end of the last collected.
    assert chart.used_area.count("M ") == 1 and chart.used_area.endswith("Z")
    assert chart.used_area.count(",") == 2 + 2  # the step's two points, the two baseline corners
    plot_width = chart.plot_right - chart.plot_left
    last_x = chart.plot_left + plot_width * 60 / len(figures.days)
    assert f" L {last_x:.1f}".rstrip("0").rstrip(".") + "," in chart.used_area
    assert chart.granted_path.startswith("M ")
    assert chart.today_x is not None


def test_the_months_add_up_to_the_period(usage):
    figures = allocation_usage(usage.busy, usage.today)

    assert sum(month.granted for month in figures.months) == figures.granted_total
    assert sum(month.used or 0 for month in figures.months) == figures.used
    assert figures.months[0].start == usage.busy.starts_on and figures.months[-1].end == usage.busy.ends_on
    # A month under way counts its collected days only: 3 of 4 GPUs busy is 75 % in every month.
    assert {month.rate for month in figures.months if month.used is not None} == {Decimal("75.0")}


@pytest.mark.parametrize("user", ["other_org_applicant", "reviewer", "operator"])
def test_no_one_outside_the_organisation_sees_its_usage(client, request, usage, user):
    client.force_login(request.getfixturevalue(user))

    assert client.get(reverse("allocation_usage", args=[usage.busy.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, usage):
    response = client.get(reverse("allocation_usage", args=[usage.busy.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_reserved_offering_shows_the_service_left_instead_of_a_budget(client, usage):
    owner = MembershipFactory(
        organization=usage.held.organization, user=make_user("energy@example.kr"), role=Membership.Role.OWNER
    )
    client.force_login(owner.user)

    response = client.get(reverse("allocation_usage", args=[usage.held.pk]))

    figures = response.context["figures"]
    assert not figures.is_metered
    assert figures.rate == Decimal("50.0")  # 5 TB held of 10
    page = response.content.decode()
    assert "남은 서비스 기간" in page and "남은 한도" not in page  # the days left, no budget


def test_the_page_of_a_year_of_daily_usage_costs_at_most_ten_queries(
    client, applicant, usage, django_assert_max_num_queries
):
    first, last = usage.today - timedelta(days=365), usage.today - timedelta(days=1)
    last_year = CallFactory(title="지난해 공고", service_starts_on=first, service_ends_on=last)
    CallOffering.objects.create(call=last_year, offering=usage.gpu, max_per_application=8)
    allocation = grant(last_year, usage.busy.organization, usage.gpu, 2, first, last)
    record_usage({allocation: {first + timedelta(days=n): Decimal(n % 48) for n in range(365)}})
    client.force_login(applicant)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("allocation_usage", args=[allocation.pk]))

    assert response.status_code == 200
    assert len(response.context["figures"].collected) == 365


def test_the_application_page_links_each_allocation_to_its_usage(client, applicant, usage):
    client.force_login(applicant)

    page = client.get(reverse("application_detail", args=[usage.busy.application_item.application_id]))

    assert reverse("allocation_usage", args=[usage.busy.pk]) in page.content.decode()


# --- The operator's figures --------------------------------------------------------------------------


def test_the_capacity_charts_gain_the_units_used(client, operator, usage):
    client.force_login(operator)

    response = client.get(reverse("dashboard"), {"call": ""})

    charts = {row.offering.pk: (row, chart) for row, chart in response.context["figures"].capacity}
    row, chart = charts[usage.gpu.pk]
    assert chart.used_path.startswith("M ")
    # 72 GPU-hours a day = 3 busy GPUs: the mean of any stretch of the 60 days collected.
    assert row.used.average(usage.today - timedelta(days=60), usage.today) == pytest.approx(3.0)
    storage_row, _chart = charts[usage.storage.pk]
    assert storage_row.used.average(usage.today - timedelta(days=10), usage.today) == pytest.approx(5.0)


def test_the_idle_list_puts_the_most_idle_units_of_each_offering_first(usage):
    rows = idle_list()

    assert [row.allocation_id for row in rows] == [usage.idle.pk, usage.busy.pk, usage.held.pk]
    idle, busy, held = rows
    assert (idle.idle_units, idle.rate, idle.last_used_on) == (2.0, Decimal("0.0"), None)
    assert (busy.idle_units, busy.used_units, busy.rate) == (1.0, 3.0, Decimal("75.0"))
    assert busy.last_used_on == usage.today - timedelta(days=1)
    assert (held.idle_units, held.rate) == (5.0, Decimal("50.0"))


def test_usage_rates_by_call_industry_and_region_are_worked_out_per_offering(usage):
    by = {breakdown.dimension: breakdown for breakdown in usage_breakdowns(None)}

    assert by["call"].offerings == ["A100 GPU", "저장공간"]
    [call_row] = by["call"].rows
    gpu, storage = call_row.cells
    # GPUs: 4,320 GPU-hours used of (4 + 2) × 24 × 60 granted; storage 300 TB-days of 600.
    assert (gpu.used, gpu.granted, gpu.rate, gpu.allocations) == (Decimal(4320), Decimal(8640), Decimal("50.0"), 2)
    assert (storage.used, storage.granted, storage.rate) == (Decimal(300), Decimal(600), Decimal("50.0"))
    industries = {row.key: row.cells for row in by["industry"].rows}
    assert industries["healthcare"][0].rate == Decimal("50.0") and industries["healthcare"][1] is None
    assert industries["energy"][0] is None and industries["energy"][1].rate == Decimal("50.0")
    regions = {row.key: row.cells for row in by["region"].rows}
    assert set(regions) == {"seoul", "gwangju"}


def test_the_usage_page_shows_the_idle_list_and_the_rates(client, operator, usage, django_assert_max_num_queries):
    client.force_login(operator)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("dashboard_usage"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "유휴 기관" in page
    assert reverse("admin:allocations_allocation_change", args=[usage.idle.pk]) in page
    for table in ("offering-usage", "idle", "usage-call", "usage-industry", "usage-region"):
        assert f'id="{table}"' in page


@pytest.mark.parametrize("user", ["applicant", "reviewer"])
def test_the_usage_page_is_the_operators(client, request, usage, user):
    client.force_login(request.getfixturevalue(user))

    assert client.get(reverse("dashboard_usage")).status_code == 403


def test_the_recent_usage_rate_counts_the_collected_days_only(usage):
    rates = {row.offering.pk: row for row in recent_usage_rates(usage.today)}

    # Today is not collected yet: the 29 days before it, 3 of 6 GPUs busy, 5 of 10 TB held.
    assert rates[usage.gpu.pk].rate == Decimal("50.0")
    assert rates[usage.gpu.pk].used_average == pytest.approx(3.0)
    assert rates[usage.storage.pk].rate == Decimal("50.0")


def test_the_public_statistics_give_the_usage_rate_per_offering(client, usage):
    response = client.get(reverse("public_statistics"))

    assert response.status_code == 200
    assert [rate for _row, rate in response.context["figures"].offerings] == [Decimal("50.0"), Decimal("50.0")]
    assert "50%" in response.content.decode() or "50.0%" in response.content.decode()


# --- CSV files ---------------------------------------------------------------------------------------


def test_the_idle_list_downloads_as_csv_and_is_logged(client, operator, usage):
    from accesslog.models import AccessRecord

    client.force_login(operator)

    rows = csv_rows(client.get(reverse("dashboard_export", args=["idle"])))

    assert [row[0] for row in rows[1:]] == ["유휴 기관", "빛고을 AI", "서울 에너지"]
    assert rows[1][6] == "2.00" and rows[2][6] == "1.00"
    assert AccessRecord.objects.filter(object_repr__startswith="idle.csv").count() == 1


def test_the_usage_rates_download_as_csv(client, operator, usage):
    client.force_login(operator)

    rows = csv_rows(client.get(reverse("dashboard_export", args=["usage_rates"])))

    assert rows[1][2:3] + rows[1][4:] == ["A100 GPU", "2", "8640.000", "4320.000", "50.0"]
    assert len(rows) == 1 + 2 + 2 + 2  # per call, industry and region: two offerings each


def test_the_capacity_csv_gains_the_units_used(client, operator, usage):
    client.force_login(operator)

    rows = csv_rows(client.get(reverse("dashboard_export", args=["capacity"]), {"call": ""}))

    assert rows[0][-1] == str(exports.capacity_rows(None, usage.today, usage.today)[0][-1])
    gpu_rows = [row for row in rows[1:] if row[0] == "A100 GPU"]
    assert "3.00" in [row[-1] for row in gpu_rows]


def test_the_offering_usage_downloads_as_csv(client, operator, usage):
    client.force_login(operator)

    rows = csv_rows(client.get(reverse("dashboard_export", args=["offering_usage"])))

    assert [(row[0], row[-1]) for row in rows[1:]] == [("A100 GPU", "50.0"), ("저장공간", "50.0")]


def test_an_allocation_still_being_provisioned_has_no_chart_yet(client, applicant, usage):
    from allocations.services import decisions
    from tests.allocations.conftest import submitted_application

    later = CallFactory(
        title="다음 공고", service_starts_on=usage.today, service_ends_on=usage.today + timedelta(days=9)
    )
    CallOffering.objects.create(call=later, offering=usage.gpu, max_per_application=8)
    application = submitted_application(later, (usage.gpu, 1, usage.today, usage.today + timedelta(days=9)))
    application.organization = usage.busy.organization
    application.save()
    [pending] = decisions.application_approve(actor=None, application=application)
    client.force_login(applicant)

    response = client.get(reverse("allocation_usage", args=[pending.pk]))

    assert response.status_code == 200
    assert response.context["chart"] is None and response.context["figures"].days == []
    assert 'id="usage-chart"' not in response.content.decode()
