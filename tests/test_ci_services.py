"""Under CI the suite must run against the backends the run promises, never fall back quietly:
PostgreSQL and Redis (the production pair), or SQLite and the file-system broker (the laptop
default, which .ci/run also runs), as ``CI_DATABASE`` says (PostgreSQL when it says nothing)."""

import os

import pytest
from django.conf import settings
from django.db import connection

on_ci = pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI promises its backends")
EXPECTED = os.environ.get("CI_DATABASE", "postgresql")


@on_ci
def test_ci_runs_on_the_database_it_promises():
    assert connection.vendor == EXPECTED


@on_ci
def test_ci_runs_celery_on_the_broker_that_goes_with_it():
    expected = "redis://" if EXPECTED == "postgresql" else "filesystem://"
    assert settings.CELERY_BROKER_URL.startswith(expected)
