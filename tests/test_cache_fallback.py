"""The shared cache while Redis does not answer: the database's table stands in (portal/cache.py).

A closed port stands for a Redis that is down (the client really connects and is refused); the
recovery test stops and starts a Redis server of its own.
"""

import logging
import time

import pytest
from django.core.cache import cache, caches
from django.urls import reverse

from portal import cache as portal_cache
from portal import data_version
from tests.accounts.test_login_throttling import THROTTLED, attempt
from tests.conftest import PASSWORD, totp_code, totp_secret
from tests.redis_server import redis_server  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def redis_cache(location: str, retry_seconds: float = 5) -> dict:
    return {
        "default": {
            "BACKEND": "portal.cache.RedisWithDatabaseFallback",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry_seconds": retry_seconds},
        },
        "fallback": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": portal_cache.FALLBACK_TABLE},
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(CLOSED_PORT)
    yield
    caches["fallback"].clear()


def test_with_redis_down_the_cache_keeps_its_values_in_the_database(redis_down, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="portal.cache"):
        cache.set("greeting", "안녕하세요", 60)
        assert cache.add("counter", 1, 60)
        assert not cache.add("counter", 5, 60)
        assert cache.incr("counter") == 2
        assert cache.get_many(["greeting", "counter"]) == {"greeting": "안녕하세요", "counter": 2}
        assert cache.delete("greeting")

    assert time.monotonic() - started < 1
    assert caches["fallback"].get("counter") == 2  # in the table, where every web process finds it
    assert cache.degraded
    # Said once, loudly, when the process switched; not once per call.
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR][0].startswith(
        "the cache (Redis) is unreachable"
    )
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


def test_failed_login_limits_hold_while_redis_is_down(client, redis_down, applicant):
    for _ in range(5):
        response = attempt(client, applicant.email)
        assert response.status_code == 200
        assert THROTTLED not in response.content.decode()

    locked = attempt(client, applicant.email, PASSWORD)

    assert THROTTLED in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_log_in_with_their_second_factor_while_redis_is_down(client, redis_down, reviewer):
    response = attempt(client, reviewer.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")

    code = totp_code(totp_secret(reviewer))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(reviewer.pk)

    # The used code is remembered (in the table) and refused a second time.
    client.logout()
    attempt(client, reviewer.email, PASSWORD)
    replay = client.post(reverse("mfa_authenticate"), {"code": code})
    assert replay.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_dashboard_renders_while_redis_is_down(client, redis_down, operator):
    client.force_login(operator)
    response = client.get(reverse("dashboard"))

    assert response.status_code == 200


def test_readyz_names_the_cache_and_stays_ready_while_redis_is_down(client, redis_down):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failing"] == ["cache"]
    assert body["checks"]["cache"].startswith("degraded (ConnectionError")


@pytest.mark.integration
def test_back_on_redis_when_it_returns_and_the_data_version_moves_on(settings, redis_server, caplog):  # noqa: F811
    settings.CACHES = redis_cache(redis_server.url(), retry_seconds=0.2)
    cache.set("where", "redis", 60)
    before = data_version.current()

    redis_server.stop()
    cache.set("where", "database", 60)
    data_version.changed()  # a decision during the outage (outside a transaction: at once)
    assert cache.get("where") == "database"
    assert cache.degraded

    redis_server.start()
    time.sleep(0.3)
    with caplog.at_level(logging.INFO, logger="portal.cache"):
        assert cache.get("where") == "redis"  # Redis's own value: it kept its file

    assert not cache.degraded
    assert "answers again" in caplog.text
    # The version in Redis moved on, so no section cached before the outage is served after it.
    assert data_version.current() != before
    caches["fallback"].clear()
