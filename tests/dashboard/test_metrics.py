"""/metrics: Prometheus's scrape of the requests and the portal's backlog, and who may read it."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from allocations.models import Allocation
from allocations.services import decisions
from dashboard import metrics
from notifications.models import Notification
from outbox.models import OutboxMessage
from tests.allocations.conftest import make_call, submitted_application

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-for-the-tests-only-0123456789"
NOW = timezone.datetime(2031, 1, 10, 12, 0, tzinfo=timezone.UTC)


@pytest.fixture(autouse=True)
def _ledger_drift_recomputed():
    # A web process recomputes the ledger's drift every few minutes; each test starts afresh.
    metrics._ledger_drift_memo = None
    yield
    metrics._ledger_drift_memo = None


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """The samples of one scrape: (name, sorted labels) -> value."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def queue_email(recipient: str) -> Notification:
    return Notification.objects.create(
        kind=Notification.Kind.ACCOUNT, recipient=recipient, language="ko", subject="제목", body="본문"
    )


def test_an_idle_portal_reports_an_empty_backlog_and_a_reachable_broker_and_database(client):
    samples = scrape(client)

    assert value(samples, "portal_broker_up") == 1
    assert value(samples, "portal_database_up") == 1
    for name in ("portal_emails_queued", "portal_outbox_messages", "portal_allocations_failed"):
        assert value(samples, name) == 0, name
    for state in ("pending", "provisioning"):
        assert value(samples, "portal_allocations_waiting", state=state) == 0
        assert value(samples, "portal_allocations_waiting_oldest_age_seconds", state=state) == 0
    assert value(samples, "portal_capacity_ledger_drift_days") == 0


def test_queued_emails_are_counted_with_the_age_of_the_oldest(client):
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False):
        queue_email("first@example.kr")
    with time_machine.travel(NOW - timedelta(minutes=2), tick=False):
        queue_email("second@example.kr")
        Notification.objects.create(
            kind=Notification.Kind.ACCOUNT,
            recipient="sent@example.kr",
            language="ko",
            subject="제목",
            state=Notification.State.SENT,
            sent_at=timezone.now(),
        )

    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)

    assert value(samples, "portal_emails_queued") == 2
    assert value(samples, "portal_emails_queued_oldest_age_seconds") == 600


def test_tasks_waiting_in_the_outbox_are_counted_with_the_age_of_the_oldest(client):
    with time_machine.travel(NOW - timedelta(seconds=90), tick=False):
        OutboxMessage.objects.create(task="notifications.deliver", args=[1])
    with time_machine.travel(NOW - timedelta(seconds=30), tick=False):
        OutboxMessage.objects.create(task="notifications.deliver", args=[2])

    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)

    assert value(samples, "portal_outbox_messages") == 2
    assert value(samples, "portal_outbox_oldest_age_seconds") == 90


def test_granted_allocations_waiting_for_the_cloud_are_counted_by_state_with_the_oldest_age(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        (first,) = decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 2)))
    with time_machine.travel(NOW - timedelta(minutes=1), tick=False):
        decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 3)))
        Allocation.objects.filter(pk=first.pk).update(
            state=Allocation.State.PROVISIONING, state_changed_at=timezone.now()
        )

    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)

    assert value(samples, "portal_allocations_waiting", state="pending") == 1
    assert value(samples, "portal_allocations_waiting", state="provisioning") == 1
    assert value(samples, "portal_allocations_waiting_oldest_age_seconds", state="pending") == 60
    assert value(samples, "portal_allocations_waiting_oldest_age_seconds", state="provisioning") == 60
    # Each grant asked for its provisioning in the outbox (its commit never came in this test).
    assert value(samples, "portal_outbox_messages") == 2


def test_failed_provisioning_is_counted(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    (allocation,) = decisions.application_approve(
        actor=reviewer, application=submitted_application(call, (gpu_pool, 2))
    )
    Allocation.objects.filter(pk=allocation.pk).update(state=Allocation.State.FAILED)

    assert value(scrape(client), "portal_allocations_failed") == 1


def test_a_corrupted_ledger_day_shows_as_drift_as_check_capacity_finds_it(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    (allocation,) = decisions.application_approve(
        actor=reviewer, application=submitted_application(call, (gpu_pool, 4))
    )
    assert value(scrape(client), "portal_capacity_ledger_drift_days") == 0

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE allocations_capacityledger SET reserved = reserved - 1 WHERE offering_id = %s AND day = %s",
            [allocation.offering_id, date(2031, 2, 1)],
        )

    # Within the few minutes a web process keeps its figures, then recomputed.
    assert value(scrape(client), "portal_capacity_ledger_drift_days") == 0
    checked_at, *figures = metrics._ledger_drift_memo
    metrics._ledger_drift_memo = (checked_at - metrics.LEDGER_DRIFT_SECONDS, *figures)
    samples = scrape(client)
    assert value(samples, "portal_capacity_ledger_drift_days") == 1
    assert value(samples, "portal_capacity_ledger_overcommitted_days") == 0


def test_the_broker_is_reported_down_at_once_when_it_cannot_be_reached(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    samples = scrape(client)

    assert value(samples, "portal_broker_up") == 0
    assert value(samples, "portal_database_up") == 1


def test_requests_are_counted_by_view_and_status_class_and_timed(client):
    def count(view: str, status: str) -> float:
        return scrape(client).get(
            ("portal_http_requests_total", (("method", "GET"), ("status", status), ("view", view))), 0
        )

    before_home, before_unmatched = count("home", "2xx"), count("unmatched", "4xx")

    client.get("/")
    client.get("/")
    client.get("/no-such-page/")

    samples = scrape(client)
    assert count("home", "2xx") == before_home + 2
    assert count("unmatched", "4xx") == before_unmatched + 1
    assert value(samples, "portal_http_request_duration_seconds_count", method="GET", view="home") >= 2
    assert value(samples, "portal_http_requests_in_progress") == 0
    # Scrapes themselves are not counted as requests of a view.
    assert not any(name == "portal_http_requests_total" and ("view", "metrics") in labels for name, labels in samples)


def test_a_method_no_one_uses_is_counted_as_other(client):
    client.generic("BREW", "/")

    samples = scrape(client)
    assert any(name == "portal_http_requests_total" and ("method", "other") in labels for name, labels in samples), (
        samples.keys()
    )


# --- Who may scrape ----------------------------------------------------------------------------


def test_an_address_outside_the_allowed_ones_gets_404_as_for_a_page_that_does_not_exist(client, settings):
    settings.METRICS_TOKEN = TOKEN

    for method in (client.get, client.post):
        assert method("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    # A forged X-Forwarded-For is not the connecting address.
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404


def test_the_token_opens_the_metrics_from_anywhere(client, settings):
    settings.METRICS_TOKEN = TOKEN

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert b"portal_emails_queued" in response.content


def test_without_a_token_configured_no_bearer_header_opens_them(client, settings):
    settings.METRICS_TOKEN = None

    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_an_allowed_network_opens_the_metrics(client, settings):
    import ipaddress

    settings.METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("fd00::/8")]

    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="fd00::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_an_allowed_scrape_answers_on_any_host_and_without_tls_and_without_logging_in(client, settings):
    # Prometheus scrapes the container at http://web:8000, neither an allowed host nor HTTPS.
    settings.ALLOWED_HOSTS = ["portal.example.kr"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/metrics", HTTP_HOST="web:8000").status_code == 200
    # A refused one goes through the site as usual (here: the host is refused).
    assert client.get("/metrics", HTTP_HOST="web:8000", REMOTE_ADDR="203.0.113.7").status_code == 400


def test_only_get_and_head_are_answered(client):
    assert client.head("/metrics").status_code == 200
    assert client.post("/metrics").status_code == 405


def test_metrics_are_not_recorded_in_the_personal_data_access_log(client, operator):
    from accesslog.models import AccessRecord

    client.force_login(operator)
    client.get("/metrics")

    assert AccessRecord.objects.count() == 0
