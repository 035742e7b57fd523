import ipaddress
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


# --- Who reads the details: the loopback, the metrics token, staff ---------------------------------

ELSEWHERE = "203.0.113.9"  # an address outside METRICS_ALLOWED_IPS, through the public proxy
TOKEN = "t" * 40


@pytest.fixture
def broker_down(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.mark.django_db
def test_readyz_tells_a_caller_from_elsewhere_the_status_alone(client, settings, broker_down):
    settings.ALLOWED_HOSTS = ["portal.example.kr"]

    response = client.get("/readyz", REMOTE_ADDR=ELSEWHERE, HTTP_HOST="evil.example")

    assert response.status_code == 200
    assert response.json() == {"status": "degraded"}
    assert b"broker" not in response.content and b"Error" not in response.content


@pytest.mark.django_db
def test_readyz_is_a_bare_503_from_elsewhere_when_the_database_fails(client, monkeypatch):
    monkeypatch.setattr("portal.health.database_status", lambda: "unavailable (OperationalError)")

    response = client.get("/readyz", REMOTE_ADDR=ELSEWHERE)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


@pytest.mark.django_db
def test_readyz_names_the_failing_part_to_the_bearer_of_the_metrics_token(client, settings, broker_down):
    settings.METRICS_TOKEN = TOKEN

    wrong = client.get("/readyz", REMOTE_ADDR=ELSEWHERE, HTTP_AUTHORIZATION="Bearer " + "x" * 40)
    right = client.get("/readyz", REMOTE_ADDR=ELSEWHERE, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert wrong.json() == {"status": "degraded"}
    assert right.json()["failing"] == ["broker"]
    assert right.json()["checks"]["broker"].startswith("unavailable (")


@pytest.mark.django_db
def test_readyz_names_the_failing_part_to_staff_and_not_to_applicants(client, reviewer, applicant, broker_down):
    client.force_login(applicant)
    assert client.get("/readyz", REMOTE_ADDR=ELSEWHERE).json() == {"status": "degraded"}

    client.force_login(reviewer)
    assert client.get("/readyz", REMOTE_ADDR=ELSEWHERE).json()["failing"] == ["broker"]


@pytest.mark.django_db
def test_readyz_details_follow_the_metrics_addresses(client, settings, broker_down):
    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.20.0.0/16")]

    assert client.get("/readyz", REMOTE_ADDR="10.20.3.4").json()["failing"] == ["broker"]
    assert client.get("/readyz", REMOTE_ADDR="127.0.0.1").json() == {"status": "degraded"}
    assert client.get("/readyz", REMOTE_ADDR="::ffff:10.20.3.4").json()["failing"] == ["broker"]
