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
        ("STAFF_SESSION_MAX_HOURS", "0"),
        ("STAFF_SESSION_MAX_HOURS", "half a day"),
        # Values that used to start and fail later, at runtime.
        ("CELERY_RESULT_BACKEND", "bogus://x"),
        ("CELERY_RESULT_BACKEND", "redis://127.0.0.1:notaport/0"),
        ("DEFAULT_FROM_EMAIL", "not-an-address"),
        ("DEFAULT_FROM_EMAIL", "National AI Data Center <noreply>"),
        ("SUPPORT_EMAIL", "the help desk"),
        ("CACHE_URL", "redis://127.0.0.1:notaport/1"),
        ("CELERY_BROKER_URL", "redis://127.0.0.1:notaport/0"),
        ("PROVISIONER_BACKEND", "no.such.Backend"),
        ("PROVISIONER_BACKEND", "allocations.models.Allocation"),
        ("METRICS_ALLOWED_IPS", "127.0.0.1,prometheus.local"),
        ("METRICS_TOKEN", "too-short"),
        ("PROVISIONER_BACKEND", "allocations.backends.slurm.SlurmProvisioner"),  # without SLURM_CLUSTER
        ("USAGE_SOURCE", "slurm"),  # without SLURM_CLUSTER
        ("SLURM_PARENT_ACCOUNT", "NAI DC"),
        ("SLURM_CLUSTER", "gpu cluster"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(variable, value):
    result = run_manage("check", env=portal_env({variable: value}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


@pytest.mark.parametrize(
    ("variable", "env"),
    [
        ("SLURM_SACCTMGR", {"PROVISIONER_BACKEND": "allocations.backends.slurm.SlurmProvisioner"}),
        ("SLURM_SACCT", {"USAGE_SOURCE": "slurm"}),
    ],
)
def test_a_slurm_command_that_is_not_there_stops_start_up(variable, env):
    result = run_manage(
        "check", env=portal_env({**env, "SLURM_CLUSTER": "gpu", variable: "/nonexistent/slurm-command"})
    )

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


def test_a_tls_proxy_without_a_trusted_proxy_count_stops_start_up():
    # Behind the proxy every request comes from its address: with no proxy trusted for
    # X-Forwarded-For, every client would share one failed-login limit per IP.
    env = portal_env({**PRODUCTION_ENV, "BEHIND_TLS_PROXY": "1", "TRUSTED_PROXY_COUNT": "0"})

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "BEHIND_TLS_PROXY" in result.stderr and "TRUSTED_PROXY_COUNT" in result.stderr


def test_a_tls_proxy_with_the_default_trusted_proxy_count_stops_start_up_too():
    env = portal_env({**PRODUCTION_ENV, "BEHIND_TLS_PROXY": "1"}, remove=("TRUSTED_PROXY_COUNT",))

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr


def test_a_tls_proxy_with_a_trusted_proxy_starts():
    env = portal_env({**PRODUCTION_ENV, "BEHIND_TLS_PROXY": "1", "TRUSTED_PROXY_COUNT": "1"})

    result = run_manage("check", env=env)

    assert result.returncode == 0, result.stderr


COOKIE_NAMES = (
    "from django.conf import settings; "
    "print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)"
)


def test_production_cookies_carry_the_host_prefix():
    result = run_manage("shell", "-c", COOKIE_NAMES, env=portal_env(PRODUCTION_ENV))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["__Host-sessionid", "__Host-csrftoken", "__Host-language"]


def test_cookies_that_are_not_secure_keep_djangos_names():
    # A browser refuses a __Host- cookie without Secure: plain HTTP (a laptop, or the tests that
    # run the production settings on plain HTTP) keeps the usual names.
    insecure = {**PRODUCTION_ENV, "SESSION_COOKIE_SECURE": "0", "CSRF_COOKIE_SECURE": "0"}
    development = portal_env({"DEBUG": "1"}, remove=("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"))
    for env in (development, portal_env(insecure)):
        result = run_manage("shell", "-c", COOKIE_NAMES, env=env)

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1].split() == ["sessionid", "csrftoken", "django_language"]
