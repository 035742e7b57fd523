"""Every URL of the project refuses a POST without the CSRF token, whoever sends it, before the
view runs: nothing is written. A POST with the token gets through to the view, so the refusals
below are the token's doing."""

import logging
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import resolve

from tests.security.access_table import ACCESS
from tests.security.patterns import database_writes, project_url_patterns

pytestmark = pytest.mark.django_db

# Prometheus's /metrics takes no POST from anyone: an allowed scrape is answered before the CSRF
# check (405 to a POST, writing nothing), a refused one 404 like any unknown page
# (tests/dashboard/test_metrics.py).
ANSWERED_BEFORE_THE_CSRF_CHECK = {"metrics"}
# The REST API's views (DRF, api/) do their own check: a session is refused without the token
# (DRF's SessionAuthentication), a personal token needs none, since no browser sends one by
# itself (test_the_apis_session_posts_need_the_csrf_token).
KEYS = sorted({pattern.key for pattern in project_url_patterns()} & set(ACCESS) - ANSWERED_BEFORE_THE_CSRF_CHECK)


def api_keys(world) -> list[str]:
    """The keys whose view is DRF's (``as_view()`` marks it with ``cls``)."""
    return [
        key for key in KEYS if hasattr(resolve(urlsplit(ACCESS[key].path.format(**world.objects)).path).func, "cls")
    ]


def post(world, key: str, role: str, caplog, *, token: bool) -> tuple[int, bool, list[str]]:
    """POST the access table's body for ``key`` as ``role`` with CSRF checks on; the status,
    whether anything was written, and the CSRF refusals logged."""
    entry = ACCESS[key]
    path = entry.path.format(**world.objects)
    data = dict(entry.data(world)) if entry.data else {}
    caplog.clear()
    with transaction.atomic():
        client = Client(enforce_csrf_checks=True)
        if (user := world.user(role)) is not None:
            client.force_login(user)
        if token:
            secret = _get_new_csrf_string()
            client.cookies["csrftoken"] = secret
            data["csrfmiddlewaretoken"] = secret
        before = database_writes()
        response = client.post(path, data)
        written = database_writes() != before
        transaction.set_rollback(True)
    refusals = [record.getMessage() for record in caplog.records if record.name == "django.security.csrf"]
    return response.status_code, written, refusals


@pytest.mark.parametrize("role", ["anonymous", "owner", "superuser"])
def test_every_url_refuses_a_post_without_the_csrf_token(world, caplog, role):
    caplog.set_level(logging.WARNING, logger="django.security.csrf")
    let_through = []
    api = set(api_keys(world))
    for key in KEYS:
        if key in api:
            continue
        status, written, refusals = post(world, key, role, caplog, token=False)
        if status != 403 or written or not refusals:
            let_through.append(f"{key}: {status}, wrote {written}, refusals {refusals}")

    assert let_through == []


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("organization_edit", "owner"),
        ("application_withdraw", "owner"),
        ("admin:applications_application_decide", "reviewer"),
        ("admin:applications_call_changelist", "superuser"),
        ("account_logout", "owner"),
    ],
)
def test_a_post_with_the_csrf_token_reaches_the_view(world, caplog, key, role):
    caplog.set_level(logging.WARNING, logger="django.security.csrf")

    status, _, refusals = post(world, key, role, caplog, token=True)

    assert refusals == []
    assert status != 403


@pytest.mark.parametrize("role", ["anonymous", "owner", "superuser"])
def test_the_urls_answered_before_the_csrf_check_take_no_post(world, caplog, role):
    for key in ANSWERED_BEFORE_THE_CSRF_CHECK:
        status, written, _ = post(world, key, role, caplog, token=False)

        assert (status, written) == (405, False), key


def test_the_api_views_are_known_by_their_drf_class(world):
    keys = api_keys(world)

    assert {"api_call_list", "api_application_submit", "api_schema"} <= set(keys)
    assert "api_problem_types" not in keys and "api_token_list" not in keys


@pytest.mark.parametrize("role", ["owner", "superuser"])
def test_the_apis_session_posts_need_the_csrf_token(world, caplog, role):
    let_through = []
    for key in api_keys(world):
        status, written, _ = post(world, key, role, caplog, token=False)
        if written or status not in (403, 404, 405):
            let_through.append(f"{key}: {status}, wrote {written}")

    assert let_through == []


def test_a_session_post_without_the_csrf_token_is_a_problem_saying_so(world, caplog):
    entry = ACCESS["api_application_submit"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("owner"))

    response = client.post(entry.path.format(**world.objects), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]
