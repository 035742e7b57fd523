"""E-mail delivery by a real Celery worker to a real SMTP server on a local port: a transient
failure (the server turns the first connection away, or is not listening yet) is retried with
backoff, and the e-mail arrives exactly once."""

import time

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.tasks import deliver_notification
from tests.conftest import make_user
from tests.factories import ApplicationFactory, MembershipFactory
from tests.processes import free_port
from tests.smtp import MailServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


def smtp_env(port: int) -> dict[str, str]:
    return {"EMAIL_BACKEND": "smtp", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_USE_TLS": "0"}


def record_one() -> Notification:
    """A submission receipt, recorded as the services record it; in autocommit its delivery is
    enqueued at once (to the test's queue)."""
    from applications.emails import send_submission_receipt

    application = ApplicationFactory(status="submitted", submitted_at=timezone.now())
    MembershipFactory(organization=application.organization, user=make_user("applicant@example.kr"), role="owner")
    send_submission_receipt(application)
    return Notification.objects.get()


def wait_for(notification: Notification, condition, what: str) -> Notification:
    deadline = time.monotonic() + TIMEOUT
    while True:
        notification.refresh_from_db()
        if condition(notification):
            return notification
        if time.monotonic() > deadline:
            pytest.fail(
                f"notification {notification.pk} is {notification.state} after {TIMEOUT} s, not {what} "
                f"(attempts {notification.attempts}, last error {notification.last_error!r})"
            )
        time.sleep(0.1)


def test_an_email_turned_away_once_is_retried_and_sent_exactly_once(task_queue, start_worker):
    with MailServer(refuse_first=1) as server:
        start_worker(task_queue, **smtp_env(server.port))

        notification = record_one()
        wait_for(notification, lambda n: n.state == Notification.State.SENT, "sent")
        # A late duplicate of the task (a redelivered message, the sweeper) finds it sent.
        late = deliver_notification.apply_async(args=[notification.pk], queue=task_queue, ignore_result=False)
        assert late.get(timeout=TIMEOUT) == "sent"
        time.sleep(1)

        received = server.received
        connections = server.connections

    assert notification.attempts == 2  # turned away, then delivered
    assert connections == 2
    assert len(received) == 1
    assert received[0].recipients == ["applicant@example.kr"]
    assert received[0].message["Message-ID"].startswith(f"<notification-{notification.pk}@")
    assert received[0].message["Subject"]


def test_an_email_whose_server_was_down_is_sent_once_it_is_back(task_queue, start_worker):
    port = free_port()
    start_worker(task_queue, **smtp_env(port))

    notification = record_one()
    wait_for(notification, lambda n: n.attempts >= 1, "attempted")  # connection refused: nobody listens
    assert notification.state == Notification.State.QUEUED
    assert "Connection refused" in notification.last_error or "Errno 111" in notification.last_error

    with MailServer(port=port) as server:
        wait_for(notification, lambda n: n.state == Notification.State.SENT, "sent")
        time.sleep(1)
        received = server.received

    assert len(received) == 1
    assert received[0].message["Message-ID"].startswith(f"<notification-{notification.pk}@")
