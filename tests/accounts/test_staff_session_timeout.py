"""Staff sessions end after STAFF_SESSION_IDLE_MINUTES without a request; applicants' do not."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.conftest import PASSWORD, totp_code, totp_secret

pytestmark = pytest.mark.django_db

START = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _thirty_minutes(settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 30


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("role", ["reviewer", "operator", "superuser"])
def test_staff_idle_longer_than_the_limit_are_logged_out_and_told_why(client, clock, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/admin/").status_code == 200

    clock.shift(timedelta(minutes=31))
    response = client.get("/admin/", follow=True)

    assert not logged_in(client)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "30" in str(list(response.context["messages"])[0])


def test_a_staff_member_at_work_stays_logged_in(client, clock, reviewer):
    client.force_login(reviewer)
    for _ in range(8):  # two hours, a request every quarter of an hour
        clock.shift(timedelta(minutes=15))
        assert client.get(reverse("admin:applications_application_changelist")).status_code == 200

    assert logged_in(client)


def test_staff_idle_just_under_the_limit_stay_logged_in(client, clock, operator):
    client.force_login(operator)

    clock.shift(timedelta(minutes=29))

    assert client.get(reverse("dashboard")).status_code == 200
    assert logged_in(client)


def test_the_limit_is_configurable(client, clock, settings, operator):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    client.force_login(operator)

    clock.shift(timedelta(minutes=6))

    assert client.get(reverse("dashboard")).status_code == 302
    assert not logged_in(client)


def test_the_clock_starts_when_staff_log_in_through_the_login_form(client, clock, reviewer):
    client.post(reverse("account_login"), {"login": reviewer.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(reviewer), at=START.timestamp())})
    assert logged_in(client)

    clock.shift(timedelta(minutes=31))
    client.get("/admin/")

    assert not logged_in(client)


def test_an_applicant_idle_for_a_day_stays_logged_in(client, clock, applicant):
    client.force_login(applicant)

    clock.shift(timedelta(days=1))

    assert client.get(reverse("application_list")).status_code == 200
    assert logged_in(client)
