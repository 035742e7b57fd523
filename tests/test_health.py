import json

import pytest

from tests.processes import portal_env, run_python

READYZ_IN_A_FRESH_PROCESS = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": json.loads(response.content)}))
"""


def test_healthz_answers_while_the_process_is_alive(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_health_checks_answer_on_any_host_and_without_tls(client, settings):
    # A container health check probes http://127.0.0.1:8000, which is neither an allowed host
    # nor HTTPS in production.
    settings.ALLOWED_HOSTS = ["portal.example.kr"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="127.0.0.1:8000").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ready_when_database_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}
    assert response.json()["status"] == "ready"


@pytest.mark.django_db
def test_readyz_names_the_broker_and_stays_ready_when_the_broker_is_unreachable(client, settings):
    # The portal still serves: the work waits in the outbox. A load balancer that took it out of
    # rotation would turn a broker outage into a portal outage.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["failing"] == ["broker"]
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.integration
def test_readyz_is_503_naming_the_database_when_the_database_is_unreachable():
    env = portal_env(
        {"DATABASE_URL": "postgres://portal@127.0.0.1:1/portal", "DJANGO_SETTINGS_MODULE": "portal.settings"}
    )

    result = run_python(READYZ_IN_A_FRESH_PROCESS, env=env)

    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"]["failing"] == ["database"]
