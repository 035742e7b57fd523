"""PostgreSQL restarts while the portal runs.

A cluster of the test's own (initdb and pg_ctl on a scratch folder and port) holds the demo's
data (``seed_demo``); gunicorn, a Celery worker and beat run on it and on a Redis of the test's
own. A reviewer approves an application and the worker is mid-way through provisioning it when
PostgreSQL stops (a fast shutdown, as a restart or a fail-over does). While it is down, pages
answer a 503 page at once, not a hang. Once it is back, the same processes (not restarted) serve
again, the same staff session included, and no task is lost: the interrupted provisioning is
retried to the end, and every e-mail is delivered exactly once.
"""

import time
from collections import Counter

import psycopg
import pytest
from django.db import connection  # noqa: F401 - read by the skip condition
from django.urls import reverse

from demo.accounts import DEMO_PASSWORD, DEMO_TOTP_SECRET, REVIEWER
from tests.conftest import totp_code
from tests.integration.portal_processes import PortalProcesses, Visitor, production_like, wait_until
from tests.integration.test_email_worker import smtp_env
from tests.postgres_cluster import PostgresCluster
from tests.processes import portal_env, run_manage
from tests.redis_server import RedisServer
from tests.smtp import MailServer

pytestmark = [
    pytest.mark.integration,
    # Its cluster is its own whatever the suite runs on: run once, in CI's PostgreSQL pass.
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a PostgreSQL restart, tried beside PostgreSQL"),
]

ANSWER_WITHIN = 2.0  # seconds, each page while the database is down
RECOVERED_WITHIN = 60.0  # seconds after the database is back
PROVISIONING_MS = 4000  # the worker's provisioning of each allocation takes this long

QUEUE = reverse("admin:applications_application_changelist")


def decide_url(pk: int) -> str:
    return reverse("admin:applications_application_decide", args=[pk])


@pytest.fixture
def cluster():
    cluster = PostgresCluster()
    cluster.create()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.remove()


def query(cluster: PostgresCluster, sql: str, *params) -> list[tuple]:
    with psycopg.connect(cluster.url("portal"), connect_timeout=5) as database:
        return database.execute(sql, params).fetchall()


def approvable(cluster: PostgresCluster) -> list[int]:
    """Submitted demo applications whose requests all fit (the demo fills part of its pool)."""
    rows = query(
        cluster,
        "SELECT id FROM applications_application WHERE status = 'submitted' ORDER BY submitted_at, id",
    )
    return [pk for (pk,) in rows]


def test_a_postgresql_restart_answers_503_meanwhile_and_loses_no_task(cluster, tmp_path):
    cluster.create_database("portal")
    redis = RedisServer(tmp_path)
    redis.start()
    mail = MailServer()
    mail.__enter__()
    env = {
        "DATABASE_URL": cluster.url("portal"),
        "DATABASE_CONNECT_TIMEOUT": "2",
        "CELERY_BROKER_URL": redis.url(0),
        "CACHE_URL": redis.url(1),
        "MEDIA_ROOT": str(tmp_path / "media"),
        **smtp_env(mail.port),
    }
    slow_cloud = {
        "PROVISIONER_BACKEND": "tests.provisioners.FaultyCloud",
        "FAULTY_CLOUD_DELAY_MS": str(PROVISIONING_MS),
    }
    for command in (("migrate", "--no-input"), ("seed_demo",)):
        # The demo provisions its own grants as it seeds them: on the modelled cloud, at once.
        result = run_manage(*command, env=portal_env({**env, "DEBUG": "1"}), timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    portal = PortalProcesses(tmp_path, production_like(tmp_path, **env, **slow_cloud))
    try:
        portal.start_web()
        portal.start_worker()
        portal.start_beat()
        portal.wait_for_log("worker", "ready.")

        reviewer = Visitor(portal.url)
        answer = reviewer.post(reverse("account_login"), {"login": REVIEWER.email, "password": DEMO_PASSWORD})
        assert answer.status == 302, answer.body[:2000]
        answer = reviewer.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
        assert answer.status == 302, answer.body[:2000]

        first, second, *_ = approvable(cluster)
        answer = reviewer.post(decide_url(first), {"decision": "approve", "reason": "심사 결과"})
        assert answer.status == 302, answer.body[:2000]
        # The worker is inside the provisioning transaction (it takes PROVISIONING_MS) ...
        portal.wait_for_log("worker", "faulty cloud: provisioning allocation", timeout=30)

        cluster.stop()  # ... when PostgreSQL goes away under it.
        during = []
        for path in ("/", reverse("call_list"), QUEUE, decide_url(second)):
            during.append((f"GET {path}", reviewer.get(path)))
        during.append(
            ("POST approve", reviewer.post(decide_url(second), {"decision": "approve", "reason": "심사 결과"}))
        )
        anonymous = Visitor(portal.url).get("/")
        during.append(("GET / anonymous", anonymous))
        for what, answer in during:
            print(f"while PostgreSQL is down: {what}: {answer.status} in {answer.seconds:.2f} s")
        wrong = [
            f"{what}: {answer.status} in {answer.seconds:.2f} s"
            for what, answer in during
            if answer.status != 503 or answer.seconds >= ANSWER_WITHIN
        ]
        assert wrong == [], "\n".join(wrong)
        assert "포털을 잠시 이용할 수 없습니다" in anonymous.body
        assert Visitor(portal.url).get("/readyz").status == 503
        time.sleep(5)  # the interrupted task's first retries meet the outage too

        cluster.start()
        restarted = time.monotonic()
        # The same processes and the same staff session serve again.
        wait_until(lambda: Visitor(portal.url).get("/").status == 200, "the home page answers", RECOVERED_WITHIN)
        assert reviewer.get(QUEUE).status == 200
        answer = reviewer.post(decide_url(second), {"decision": "approve", "reason": "심사 결과"})
        assert answer.status == 302, answer.body[:2000]

        approved = (first, second)

        def settled() -> bool:
            states = query(
                cluster,
                "SELECT a.state FROM allocations_allocation a JOIN applications_applicationitem i "
                "ON i.id = a.application_item_id WHERE i.application_id = ANY(%s)",
                list(approved),
            )
            queued = query(cluster, "SELECT count(*) FROM notifications_notification WHERE state = 'queued'")
            return bool(states) and {state for (state,) in states} == {"active"} and queued == [(0,)]

        took = wait_until(settled, "provisioned and delivered", RECOVERED_WITHIN)
        print(f"provisioned and delivered {time.monotonic() - restarted:.1f} s after PostgreSQL came back")
        assert took < RECOVERED_WITHIN
        time.sleep(3)  # a duplicate delivery would arrive by now

        # The interrupted allocation was provisioned once, after retries.
        activations = query(
            cluster,
            "SELECT a.id, count(t.id) FROM allocations_allocation a "
            "JOIN applications_applicationitem i ON i.id = a.application_item_id "
            "JOIN allocations_allocationtransition t ON t.allocation_id = a.id AND t.to_state = 'active' "
            "WHERE i.application_id = ANY(%s) GROUP BY a.id",
            list(approved),
        )
        assert activations and all(count == 1 for _, count in activations)
        assert "Retry in" in portal.log("worker")  # the task met the outage and was retried
        sent = Counter(
            recipient
            for (recipient,) in query(cluster, "SELECT recipient FROM notifications_notification WHERE state = 'sent'")
        )
        received = Counter(recipient for message in mail.received for recipient in message.recipients)
        assert received == sent  # every e-mail exactly once
    finally:
        portal.stop()
        mail.__exit__(None, None, None)
        redis.stop()
