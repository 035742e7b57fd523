"""The dashboard's days when none are asked for: half a year either side of today, widened to the
chosen call's whole service period (the open call's, by default)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.selectors.calls import default_period
from dashboard.selectors.capacity import MAX_RANGE_DAYS
from tests.factories import CallFactory

TODAY = date(2026, 12, 7)


def call_serving(starts_on: date, ends_on: date):
    return CallFactory.build(service_starts_on=starts_on, service_ends_on=ends_on)


def test_without_a_call_half_a_year_either_side_of_today():
    assert default_period(None, TODAY) == (TODAY - timedelta(days=180), TODAY + timedelta(days=180))


def test_it_reaches_the_end_of_a_service_period_that_ends_after_half_a_year():
    # The open call of the demo: service from a month on, for six months.
    call = call_serving(TODAY + timedelta(days=30), TODAY + timedelta(days=212))

    assert default_period(call, TODAY) == (TODAY - timedelta(days=180), call.service_ends_on)


def test_it_reaches_back_to_the_start_of_a_service_period_that_began_long_ago():
    call = call_serving(TODAY - timedelta(days=400), TODAY + timedelta(days=10))

    assert default_period(call, TODAY) == (call.service_starts_on, TODAY + timedelta(days=180))


def test_an_old_calls_service_period_alone_when_today_is_too_far_from_it():
    call = call_serving(date(2021, 4, 15), date(2021, 12, 31))

    assert default_period(call, TODAY) == (date(2021, 4, 15), date(2021, 12, 31))


def test_never_longer_than_the_dashboard_shows():
    call = call_serving(date(2020, 1, 1), date(2029, 12, 31))

    start, end = default_period(call, TODAY)

    assert start == date(2020, 1, 1)
    assert (end - start).days + 1 == MAX_RANGE_DAYS


@pytest.mark.django_db
def test_the_dashboard_opens_on_the_whole_service_period_of_the_open_call(client, operator):
    today = timezone.localdate()
    open_call = CallFactory(
        service_starts_on=today + timedelta(days=30), service_ends_on=today + timedelta(days=30 + 182)
    )
    client.force_login(operator)

    response = client.get(reverse("dashboard"))

    assert response.context["call"] == open_call
    assert response.context["start"] <= today
    assert response.context["end"] == open_call.service_ends_on
