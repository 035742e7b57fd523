"""Staff sessions end after STAFF_SESSION_IDLE_MINUTES without a request, and STAFF_SESSION_MAX_HOURS
after the login however busy; applicants' do not."""

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
    settings.STAFF_SESSION_MAX_HOURS = 12


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


# --- The absolute lifetime ------------------------------------------------------------------------


def at_work(client, clock, *, hours: float, every_minutes: int = 25) -> None:
    """Requests every ``every_minutes`` (under the idle limit) for ``hours``."""
    for _ in range(int(hours * 60 / every_minutes)):
        clock.shift(timedelta(minutes=every_minutes))
        client.get(reverse("admin:index"))


def test_a_busy_staff_session_ends_twelve_hours_after_the_login_and_says_why(client, clock, reviewer):
    client.force_login(reviewer)
    at_work(client, clock, hours=12)  # the last request 11 h 40 min after the login
    assert logged_in(client)

    clock.shift(timedelta(minutes=25))  # 12 h 5 min after the login, 25 min after the last request
    response = client.get("/admin/", follow=True)

    assert not logged_in(client)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    [message] = list(response.context["messages"])
    assert "12" in str(message)


def test_a_staff_member_at_work_for_three_days_does_not_stay_logged_in(client, clock, operator):
    client.force_login(operator)

    at_work(client, clock, hours=72)

    assert not logged_in(client)


def test_the_lifetime_starts_at_the_login_through_the_login_form(client, clock, reviewer):
    clock.shift(timedelta(hours=-1))
    client.post(reverse("account_login"), {"login": reviewer.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(reviewer), at=START.timestamp() - 3600)})
    assert logged_in(client)

    at_work(client, clock, hours=12.5)

    assert not logged_in(client)


def test_logging_in_again_starts_a_new_lifetime(client, clock, reviewer):
    client.force_login(reviewer)
    at_work(client, clock, hours=12.5)
    assert not logged_in(client)

    client.force_login(reviewer)
    at_work(client, clock, hours=2)

    assert logged_in(client)


def test_the_lifetime_is_configurable(client, clock, settings, operator):
    settings.STAFF_SESSION_MAX_HOURS = 2
    client.force_login(operator)

    at_work(client, clock, hours=2.5, every_minutes=10)

    assert not logged_in(client)


def test_a_staff_session_from_before_the_lifetime_existed_starts_it_at_its_next_request(client, clock, reviewer):
    client.force_login(reviewer)
    session = client.session
    del session["staff_logged_in_at"]
    session.save()

    at_work(client, clock, hours=11)  # its clock started at the first of these requests
    assert logged_in(client)
    at_work(client, clock, hours=2)

    assert not logged_in(client)


def test_an_applicant_at_work_for_three_days_stays_logged_in(client, clock, applicant):
    client.force_login(applicant)

    for _ in range(3 * 24 * 2):
        clock.shift(timedelta(minutes=30))
        client.get(reverse("application_list"))

    assert logged_in(client)
