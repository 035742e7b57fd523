"""Lists are paged by cursor; requests are limited per token in the shared cache, which the
database's table stands in for while Redis is down (as for the site's login limits)."""

import pytest
from django.core.cache import caches

from tests.api.conftest import assert_problem
from tests.factories import CallFactory
from tests.test_cache_fallback import CLOSED_PORT, redis_cache

pytestmark = pytest.mark.django_db


def test_a_list_is_paged_by_cursor_without_repeats_or_gaps(applicant_api):
    calls = [CallFactory() for _ in range(7)]

    seen, url, pages = [], "/api/v1/calls/?page_size=3", 0
    while url:
        body = applicant_api.get(url).json()
        assert len(body["results"]) <= 3
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1

    assert pages == 3
    assert sorted(seen) == sorted(call.pk for call in calls)
    assert len(seen) == len(set(seen))


def test_a_page_is_at_most_a_hundred_rows(applicant_api):
    for _ in range(3):
        CallFactory()

    body = applicant_api.get("/api/v1/calls/?page_size=100000").json()

    assert len(body["results"]) == 3
    assert body["next"] is None


def test_a_forged_cursor_is_a_400_problem_keyed_by_cursor(applicant_api):
    body = assert_problem(applicant_api.get("/api/v1/calls/?cursor=not-a-cursor"), 400)
    assert list(body["errors"]) == ["cursor"], body


@pytest.fixture
def three_a_minute(settings):
    settings.API_RATE_LIMITS = {"token": "3/min", "session": "3/min", "anonymous": "2/min"}


def test_a_token_is_limited_and_told_when_to_come_back(applicant_api, three_a_minute):
    answers = [applicant_api.get("/api/v1/calls/").status_code for _ in range(3)]
    refused = applicant_api.get("/api/v1/calls/")

    assert answers == [200, 200, 200]
    body = assert_problem(refused, 429, "throttled")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused["Retry-After"] in body["detail"]


def test_each_token_has_its_own_count(applicant, api_client_for, three_a_minute):
    first, second = api_client_for(applicant), api_client_for(applicant)
    for _ in range(3):
        first.get("/api/v1/calls/")

    assert first.get("/api/v1/calls/").status_code == 429
    assert second.get("/api/v1/calls/").status_code == 200


def test_the_limit_holds_while_redis_is_down(settings, applicant_api, three_a_minute):
    settings.CACHES = redis_cache(CLOSED_PORT)
    try:
        answers = [applicant_api.get("/api/v1/calls/").status_code for _ in range(4)]
    finally:
        caches["fallback"].clear()

    assert answers == [200, 200, 200, 429]


def test_callers_without_credentials_are_limited_by_address(client, three_a_minute):
    """What is open to them (the schema) is limited per address; everything else is a 401."""
    answers = [client.get("/api/schema/").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
