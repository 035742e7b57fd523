"""docker-compose.yml cannot be run here (no Docker engine), so it is read and checked against
the settings it must satisfy: the right services, health checks, volumes, and an environment
that passes the production settings' own deployment checklist."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.processes import ROOT, portal_env, run_manage

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
PORTAL_SERVICES = ("migrate", "web", "worker", "beat")
SETTINGS_VARIABLES = set(re.findall(r'env_\w+\("([A-Z_]+)"', (ROOT / "portal" / "settings.py").read_text()))
# Read by the programs themselves rather than by the settings module.
RUNTIME_VARIABLES = {"WEB_CONCURRENCY", "POSTGRES_PASSWORD", "PROMETHEUS_MULTIPROC_DIR"}


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)(?::?[?-][^}]*)?\}", lambda m: variables[m.group(1)], value)


def test_compose_has_the_production_services():
    assert set(SERVICES) == {"db", "redis", "cache", "clamav", "migrate", "web", "worker", "beat"}
    assert SERVICES["db"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"].startswith("redis:")
    assert SERVICES["cache"]["image"].startswith("redis:")


def test_the_broker_and_the_cache_are_separate_redis_servers():
    # The broker keeps its queue on disk and never evicts; the cache evicts and keeps nothing.
    for name in PORTAL_SERVICES:
        environment = SERVICES[name]["environment"]
        assert urlsplit(environment["CELERY_BROKER_URL"]).hostname == "redis"
        assert urlsplit(environment["CACHE_URL"]).hostname == "cache"
    broker = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in broker and "noeviction" in broker
    cache = " ".join(SERVICES["cache"]["command"])
    assert "allkeys-lru" in cache and "--maxmemory" in cache


def test_uploads_are_scanned_by_the_clamav_service():
    # Production requires the scanner: every portal service names it, the web starts it.
    assert SERVICES["clamav"]["image"].startswith("clamav/clamav:")
    assert "clamavdb:/var/lib/clamav" in SERVICES["clamav"]["volumes"]
    for name in PORTAL_SERVICES:
        assert SERVICES[name]["environment"]["CLAMAV_SOCKET"] == "tcp://clamav:3310"
    assert "clamav" in SERVICES["web"]["depends_on"]


def test_data_lives_in_named_volumes():
    assert set(COMPOSE["volumes"]) >= {"pgdata", "media"}
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    for name in ("web", "worker"):
        media_root = SERVICES[name]["environment"]["MEDIA_ROOT"]
        assert f"media:{media_root}" in SERVICES[name]["volumes"]


@pytest.mark.parametrize("name", ["db", "redis", "cache", "clamav", "web", "worker"])
def test_long_running_services_have_health_checks(name):
    assert SERVICES[name]["healthcheck"]["test"]


def test_the_web_health_check_probes_readiness():
    assert "/readyz" in " ".join(SERVICES["web"]["healthcheck"]["test"])


def test_portal_services_wait_for_the_one_shot_migration():
    assert SERVICES["migrate"]["command"][-3:] == ["manage.py", "migrate", "--no-input"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_portal_services_use_postgresql_and_redis_from_env_file():
    for name in PORTAL_SERVICES:
        service = SERVICES[name]
        database = urlsplit(interpolate(service["environment"]["DATABASE_URL"], {"POSTGRES_PASSWORD": "secret"}))
        assert service["env_file"] == ".env"
        assert (database.scheme, database.hostname, database.password) == ("postgres", "db", "secret")
        assert urlsplit(service["environment"]["CELERY_BROKER_URL"]).hostname == "redis"
        assert service["environment"]["DEBUG"] == "0"


def test_every_configured_variable_is_one_the_settings_read():
    configured = set(env_example()) | {k for name in PORTAL_SERVICES for k in SERVICES[name]["environment"]}

    assert configured - SETTINGS_VARIABLES - RUNTIME_VARIABLES == set()


def test_every_variable_compose_interpolates_is_documented_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{(\w+)", text))

    assert interpolated <= set(env_example())


def test_the_documented_configuration_passes_the_deployment_checklist(tmp_path):
    example = env_example()
    filled = {
        k: v or f"filled-in-by-the-operator-{k.lower()}-0123456789-abcdefghijklmnopqrstuvwxyz"
        for k, v in example.items()
    }
    web_env = {k: interpolate(str(v), filled) for k, v in SERVICES["web"]["environment"].items()}
    # The database is not reached by `check --deploy`; the portal's cache must be, so it stays local.
    # The metrics folder is the test's own (a folder not made yet, as in a fresh container).
    env = portal_env(
        {
            **filled,
            **web_env,
            "CACHE_URL": "locmem://",
            "MEDIA_ROOT": str(Path(ROOT, "var", "test", "media")),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc"),
        }
    )

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_an_unprivileged_user_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "ARG PYTHON_IMAGE=python:3.12" in dockerfile and "FROM ${PYTHON_IMAGE}" in dockerfile
    assert "collectstatic" in dockerfile
    assert "\nUSER portal" in dockerfile


def test_the_web_processes_add_up_their_metrics_in_a_folder_of_their_own():
    web = SERVICES["web"]

    assert web["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert ["--config", "gunicorn.conf.py"] == web["command"][2:4]
    # The web service keeps the environment every portal service shares.
    assert web["environment"]["DEBUG"] == "0"
    for name in ("worker", "beat", "migrate"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in SERVICES[name]["environment"]


def test_docker_compose_itself_accepts_the_file(tmp_path):
    # Debian's docker-compose (the Python one, `config` needs no Docker engine) parses and
    # validates the file against the Compose schema, with .env.example as the operator's .env.
    executable = shutil.which("docker-compose")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose is not installed (.ci/run installs Debian's package)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")

    result = subprocess.run(
        [executable, "config", "--services"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "POSTGRES_PASSWORD": "secret"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == set(SERVICES)
