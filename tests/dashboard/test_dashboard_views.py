import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.models import Allocation
from applications.models import (
    Application,
    ApplicationItem,
    Call,
    CallOffering,
    Membership,
    Organization,
    PriorityClaim,
)
from dashboard import exports
from dashboard.selectors.calls import default_period
from pool.capacity import lock_ledger
from pool.models import CapacityPhase
from tests.allocations.conftest import make_pool
from tests.dashboard.conftest import D0, day
from tests.factories import CallFactory, business_number

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
# The dashboard's bound: the same at a handful of rows and at thousands.
MAX_QUERIES = 20


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- Access --------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("dashboard_export", args=["funnel"])).status_code == 302


@pytest.mark.parametrize("user", ["applicant", "reviewer"])
def test_applicants_and_reviewers_without_the_operators_group_are_refused(client, request, user):
    client.force_login(request.getfixturevalue(user))

    assert client.get(DASHBOARD).status_code == 403
    assert client.get(reverse("dashboard_export", args=["funnel"])).status_code == 403


@pytest.mark.parametrize("user", ["operator", "superuser"])
def test_operators_and_superusers_see_the_dashboard(client, request, user):
    client.force_login(request.getfixturevalue(user))

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert "dashboard/dashboard.html" in [template.name for template in response.templates]


def test_the_navigation_links_the_dashboard_for_operators_only(client, operator, reviewer):
    client.force_login(reviewer)
    assert DASHBOARD not in client.get(reverse("home")).content.decode()
    client.force_login(operator)
    assert DASHBOARD in client.get(reverse("home")).content.decode()


def test_an_unknown_table_is_not_found(client, operator):
    client.force_login(operator)

    assert client.get(reverse("dashboard_export", args=["secrets"])).status_code == 404


def test_the_dashboard_is_read_only(client, operator):
    client.force_login(operator)

    assert client.post(DASHBOARD).status_code == 405


# --- What the page shows -------------------------------------------------------------------------


def test_it_shows_the_worked_example(client, operator, world):
    client.force_login(operator)

    response = client.get(DASHBOARD, {"call": world.call.pk, "start": day(0), "end": day(21)})

    assert response.status_code == 200
    assert response.context["call"] == world.call
    figures = response.context["figures"]
    [(gpu, chart)] = figures.capacity
    assert [(run.capacity, run.in_service, run.being_provisioned) for run in gpu.runs][:2] == [(10, 4, 0), (10, 9, 0)]
    assert chart.capacity_path.startswith("M ")
    assert figures.funnel.approved == 5
    [demand] = figures.demand
    assert (demand.awaiting, demand.free, demand.shortfall) == (10, 5, 5)
    assert [application.pk for application in figures.waitlist] == [world.applications["G"].pk]
    page = response.content.decode()
    assert "기관 G" in page  # the wait-list names the organisation
    assert 'id="funnel"' in page and 'id="breakdown-region"' in page and 'id="expiring"' in page
    assert "<svg" in page and "<title" in page  # charts, with a text alternative


def test_all_calls_hides_the_call_sections_and_breaks_down_every_call(client, operator, world):
    client.force_login(operator)

    response = client.get(DASHBOARD, {"call": "", "start": day(0), "end": day(21)})

    assert response.context["call"] is None
    assert response.context["figures"].funnel is None
    assert 'id="funnel"' not in response.content.decode()
    purpose = next(b for b, _chart in response.context["figures"].breakdowns if b.dimension == "purpose")
    assert sum(row.applications for row in purpose.rows) == 9


def test_it_opens_on_the_open_call(client, operator, world):
    closed = world.call
    closed.opens_at = timezone.now() - timedelta(days=30)
    closed.deadline = timezone.now() - timedelta(days=20)
    closed.save()
    open_call = CallFactory()

    client.force_login(operator)
    assert client.get(DASHBOARD).context["call"] == open_call


def test_a_bad_period_is_explained_and_the_default_period_shown(client, operator, world):
    client.force_login(operator)

    response = client.get(DASHBOARD, {"start": "2031-05-01", "end": "2031-01-01"})

    assert response.status_code == 200
    assert response.context["form"].errors
    default = default_period(response.context["call"], timezone.localdate())
    assert (response.context["start"], response.context["end"]) == default


def test_a_period_longer_than_three_years_is_refused(client, operator, world):
    client.force_login(operator)

    response = client.get(DASHBOARD, {"start": "2020-01-01", "end": "2031-01-01"})

    assert response.context["form"].errors
    assert (response.context["end"] - response.context["start"]).days < 3 * 366


# --- Cache ---------------------------------------------------------------------------------------


def test_a_repeated_request_is_served_from_the_cache_until_a_decision_changes_the_figures(
    client, operator, world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from allocations.services import decisions

    client.force_login(operator)
    params = {"call": world.call.pk, "start": day(0), "end": day(21)}
    client.get(DASHBOARD, params)

    with django_assert_max_num_queries(6):  # session, user, permissions, calls (the data version is in the cache)
        cached = client.get(DASHBOARD, params)
    assert "기관 G" in cached.content.decode()

    # The test's transaction never commits: run what the decision's commit runs (the version moves).
    with django_capture_on_commit_callbacks(execute=True):
        decisions.application_reject(actor=None, application=world.applications["G"], reason="예산 소진")
    fresh = client.get(DASHBOARD, params).content.decode()

    assert "이 공고에 예비 대상인 신청서가 없습니다." in fresh  # G left the wait-list


# --- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(exports.TABLES))
def test_every_table_downloads_as_csv(client, operator, world, table):
    client.force_login(operator)

    response = client.get(reverse("dashboard_export", args=[table]), {"call": world.call.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{table}-')
    rows = csv_rows(response)
    # Nothing of the worked example ends soon, nor was reclaimed (tests/reclaim/ fills that one),
    # and none of its usage is collected (the usage files: tests/dashboard/test_usage_pages.py).
    assert len(rows) >= (1 if table in ("expiring", "reclaimed", "idle", "usage_rates") else 2)
    assert all(len(row) == len(rows[0]) for row in rows)


def test_the_funnel_csv_says_which_table_each_row_belongs_to(client, operator, world):
    client.force_login(operator)

    rows = csv_rows(
        client.get(reverse("dashboard_export", args=["funnel"]), {"call": world.call.pk}, HTTP_ACCEPT_LANGUAGE="en")
    )

    header, *body = rows
    assert header == ["Counted by", "Stage or status", "Applications"]
    labels = [(counted_by, label) for counted_by, label, _count in body]
    assert len(labels) == len(set(labels))  # no row twice under one heading
    figures = {(counted_by, label): int(count) for counted_by, label, count in body}
    # Every application that reached "submitted" (all but the draft H), and those awaiting a decision now (F).
    assert figures[("Stage", "Submitted")] == 9
    assert figures[("Status now", "Submitted")] == 1
    assert ("Status now", "Submitted without a priority claim") in figures  # as on the page


def test_csv_keeps_korean_text_intact(client, operator, world):
    client.force_login(operator)

    rows = csv_rows(client.get(reverse("dashboard_export", args=["waitlist"]), {"call": world.call.pk}))

    assert rows[0][1] == "기관"  # the header, in the default language
    assert rows[1][:3] == ["7", "기관 G", "0"]  # seventh in the call's ranking (all score 0: by submission)


def test_the_capacity_csv_has_the_charts_figures(client, operator, world):
    client.force_login(operator)

    rows = csv_rows(
        client.get(
            reverse("dashboard_export", args=["capacity"]),
            {"call": world.call.pk, "start": day(0), "end": day(21)},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    )

    assert rows[0] == [
        "Offering",
        "Unit",
        "From",
        "Until",
        "Capacity",
        "Active",
        "Being provisioned",
        "Free",
        "Used (average per day)",
    ]
    assert rows[1][2:] == [str(day(0)), str(day(1)), "10", "4", "0", "6", ""]  # no usage collected
    assert len(rows) == 1 + 9


# --- Bounded queries -----------------------------------------------------------------------------


def build_bulk(count: int) -> Call:
    """``count`` applications to one call, half of them approved with an active allocation, and
    ``count`` more allocations ending in the next weeks, for the query-count test."""
    offering = make_pool(10 * count, name="Bulk GPU")
    CapacityPhase.objects.create(offering=offering, starts_on=date(2020, 1, 1), units=10 * count)
    call = CallFactory(service_starts_on=D0, service_ends_on=day(89))
    CallOffering.objects.create(call=call, offering=offering, max_per_application=10)
    now = timezone.now()
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"벌크 {n}",
            org_type="sme",
            registration_number=business_number(700_000_000 + n),
            region="gwangju",
            address="광주광역시 북구",
            industry="energy",
            employees=3,
        )
        for n in range(count)
    )
    statuses = ["approved", "waitlisted", "submitted", "rejected"]
    applications = Application.objects.bulk_create(
        Application(
            organization=organization,
            call=call,
            status=statuses[n % 4],
            submitted_at=now,
            purpose="training",
            project_title="p",
            priority_score=n % 7,
        )
        for n, organization in enumerate(organizations)
    )
    PriorityClaim.objects.bulk_create(PriorityClaim(application=a, kind="gwangju_located") for a in applications)
    items = ApplicationItem.objects.bulk_create(
        ApplicationItem(application=a, offering=offering, quantity=2, starts_on=D0, ends_on=day(89))
        for a in applications
    )
    today = timezone.localdate()
    lock_ledger([(offering.pk, D0, day(89)), (offering.pk, today, today + timedelta(days=40))])
    Allocation.objects.bulk_create(
        Allocation(
            organization=item.application.organization,
            application_item=item,
            offering=offering,
            quantity=2,
            starts_on=today if n % 2 else D0,
            ends_on=today + timedelta(days=n % 40) if n % 2 else day(89),
            state="active",
        )
        for n, item in enumerate(items)
        if item.application.status == "approved" or n % 2
    )
    return call


@pytest.mark.parametrize("count", [8, 1200])
def test_the_dashboard_costs_a_bounded_number_of_queries(client, operator, django_assert_max_num_queries, count):
    call = build_bulk(count)
    client.force_login(operator)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(DASHBOARD, {"call": call.pk})

    assert response.status_code == 200
    assert response.context["figures"].funnel.started == count
    assert len(response.context["figures"].waitlist) == min(count // 4, 201)


@pytest.mark.parametrize("count", [8, 1200])
def test_public_statistics_cost_a_bounded_number_of_queries(client, django_assert_max_num_queries, count):
    build_bulk(count)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("public_statistics"))

    assert response.status_code == 200


def test_the_dashboard_shows_the_satisfaction_survey_of_the_call(client, operator, world):
    from aftercare import services as aftercare_services
    from aftercare.models import SurveyInvitation
    from tests.conftest import make_user

    application = world.applications["A"]
    invitation = SurveyInvitation.objects.create(
        application=application, organization=application.organization, call=world.call, occasion="service_ended"
    )
    member = make_user("member-a@example.kr")
    Membership.objects.create(organization=application.organization, user=member)
    ratings = {"rating_compute": 4, "rating_dev_env": 2, "rating_data_saas": None, "rating_support": 5}
    aftercare_services.survey_respond(actor=member, invitation=invitation, ratings=ratings, comments="")
    client.force_login(operator)

    response = client.get(DASHBOARD, {"call": world.call.pk})

    summary = response.context["figures"].surveys
    assert (summary.invited, summary.responses) == (1, 1)
    assert [question.average for question in summary.questions] == [4.0, 2.0, None, 5.0]
    assert 'class="survey-summary"' in response.content.decode()


def test_the_satisfaction_survey_table_downloads_as_csv_with_the_pages_figures(client, operator, world):
    from aftercare import services as aftercare_services
    from aftercare.models import SurveyInvitation
    from tests.conftest import make_user

    for name, ratings in (("A", (4, 2, None, 5)), ("B", (5, None, None, 4))):
        application = world.applications[name]
        invitation = SurveyInvitation.objects.create(
            application=application, organization=application.organization, call=world.call, occasion="service_ended"
        )
        member = make_user(f"member-{name.lower()}@example.kr")
        Membership.objects.create(organization=application.organization, user=member)
        fields = ("rating_compute", "rating_dev_env", "rating_data_saas", "rating_support")
        aftercare_services.survey_respond(
            actor=member, invitation=invitation, ratings=dict(zip(fields, ratings, strict=True)), comments=""
        )
    client.force_login(operator)
    export = reverse("dashboard_export", args=["surveys"])

    assert export in client.get(DASHBOARD, {"call": world.call.pk}).content.decode()  # the table links it
    response = client.get(export, {"call": world.call.pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="surveys-')
    rows = csv_rows(response)
    assert rows[0] == ["Question", "Average (1–5)", "Ratings", "Rated 1", "Rated 2", "Rated 3", "Rated 4", "Rated 5"]
    assert [row[1:] for row in rows[1:]] == [
        ["4.50", "2", "0", "0", "0", "1", "1"],  # compute: 4 and 5
        ["2.00", "1", "0", "1", "0", "0", "0"],
        ["", "0", "0", "0", "0", "0", "0"],  # not used by anyone: no average
        ["4.50", "2", "0", "0", "0", "1", "1"],
    ]
    assert rows[1][0].startswith("Compute resources")


def test_the_wait_list_and_what_ends_soon_show_each_row_escaped(client, operator, world):
    from datetime import datetime, time

    import time_machine
    from django.utils.formats import date_format

    from applications.selectors import rank_of
    from tests.dashboard.conftest import SEOUL

    waitlisted = world.applications["G"]
    Organization.objects.filter(pk=waitlisted.organization_id).update(legal_name="기관 <G>")
    ending = world.allocations["A"]  # active, ends on day 14
    Organization.objects.filter(pk=ending.organization_id).update(legal_name="기관 <A>")

    with time_machine.travel(datetime.combine(day(0), time(12), tzinfo=SEOUL), tick=False):
        client.force_login(operator)  # a staff session started now, not idle since today
        response = client.get(DASHBOARD, {"call": world.call.pk})
    assert response.status_code == 200
    page = response.content.decode()

    link = reverse("admin:applications_application_change", args=[waitlisted.pk])
    assert (
        f'<td class="text-end">{rank_of(waitlisted)}</td>\n              <td><a href="{link}">기관 &lt;G&gt;</a></td>'
        in page
    )
    assert "A100 GPU × 6</td>" in page
    assert f"<td>{date_format(day(14), 'DATE_FORMAT')}</td>\n          <td>기관 &lt;A&gt;</td>" in page
    assert "<G>" not in page and "<A>" not in page
