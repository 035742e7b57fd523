"""Under CI the suite must run against the real PostgreSQL and Redis, never fall back quietly."""

import os

import pytest
from django.conf import settings
from django.db import connection

on_ci = pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI promises PostgreSQL and Redis")


@on_ci
def test_ci_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@on_ci
def test_ci_runs_celery_on_redis():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
