"""The settings module refuses bad configuration with a message that names the variable."""

import pytest

from tests.processes import PRODUCTION_ENV, portal_env, run_manage

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "bogus://nowhere/db"),
        ("DATABASE_URL", "postgres://user@host:notaport/db"),
        ("DATABASE_URL", "mysql://user@localhost/portal"),
        ("DEBUG", "maybe"),
        ("CELERY_BROKER_URL", "amqp://guest@localhost//"),
        ("CACHE_URL", "memcached://localhost"),
        ("EMAIL_BACKEND", "pigeon"),
        ("EMAIL_PORT", "twenty-five"),
        ("CSRF_TRUSTED_ORIGINS", "portal.example.kr"),
        ("SITE_URL", "portal.example.kr"),
        ("MEDIA_STORAGE", "floppy"),
        ("STAFF_SESSION_IDLE_MINUTES", "0"),
        ("STAFF_SESSION_IDLE_MINUTES", "half an hour"),
        # Values that used to start and fail later, at runtime.
        ("CELERY_RESULT_BACKEND", "bogus://x"),
        ("CELERY_RESULT_BACKEND", "redis://127.0.0.1:notaport/0"),
        ("DEFAULT_FROM_EMAIL", "not-an-address"),
        ("DEFAULT_FROM_EMAIL", "National AI Data Center <noreply>"),
        ("CACHE_URL", "redis://127.0.0.1:notaport/1"),
        ("CELERY_BROKER_URL", "redis://127.0.0.1:notaport/0"),
        ("PROVISIONER_BACKEND", "no.such.Backend"),
        ("PROVISIONER_BACKEND", "allocations.models.Allocation"),
        ("METRICS_ALLOWED_IPS", "127.0.0.1,prometheus.local"),
        ("METRICS_TOKEN", "too-short"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    result = run_manage("check", env=portal_env({variable: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_s3_media_storage_names_what_it_is_missing():
    result = run_manage("check", env=portal_env({"MEDIA_STORAGE": "s3"}, remove=("MEDIA_S3_BUCKET",)))

    assert result.returncode != 0
    assert "MEDIA_S3_BUCKET" in result.stderr or "django-storages" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = portal_env({**PRODUCTION_ENV}, remove=("SECRET_KEY",))
    env.pop("SECRET_KEY", None)

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = portal_env({**PRODUCTION_ENV, "ALLOWED_HOSTS": ""})

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_development_starts_without_a_secret_key():
    env = portal_env({"DEBUG": "1"}, remove=("SECRET_KEY",))

    result = run_manage("check", env=env)

    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=portal_env(PRODUCTION_ENV))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
