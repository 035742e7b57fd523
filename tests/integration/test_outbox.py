"""A broker outage at decision time, from the reviewer's page to the applicant's mailbox.

The decision's transaction records the decision e-mail and the provisioning request (the
outbox): with the broker unreachable the reviewer's page still answers at once, nothing is
lost, and once a worker and the broker are there the outbox relay (what beat runs every few
seconds) hands everything over: the e-mail arrives exactly once and the grant is provisioned.
"""

import time

import pytest
from django.urls import reverse

from allocations.models import Allocation
from applications.models import Membership
from notifications.models import Notification
from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.conftest import make_user
from tests.integration.conftest import broker_unreachable
from tests.integration.test_email_worker import smtp_env
from tests.smtp import MailServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {TIMEOUT} s")
        time.sleep(0.1)


def test_decisions_made_while_the_broker_is_down_are_emailed_once_when_it_is_back(
    client, reviewer, task_queue, start_worker, tmp_path, monkeypatch
):
    pool = make_pool(10)
    call = make_call(pool)
    approved, rejected = (submitted_application(call, (pool, 4)) for _ in range(2))
    for number, application in enumerate((approved, rejected)):
        member = make_user(f"member{number}@example.kr")
        Membership.objects.create(organization=application.organization, user=member, role="owner")
    client.force_login(reviewer)

    with broker_unreachable(tmp_path, monkeypatch):
        for application, decision in ((approved, "approve"), (rejected, "reject")):
            started = time.monotonic()
            response = client.post(
                reverse("admin:applications_application_decide", args=[application.pk]),
                {"decision": decision, "reason": "심사 결과"},
            )
            assert response.status_code == 302
            assert time.monotonic() - started < 2  # the page never waits on the broker

    # Recorded in the decisions' transactions, waiting in the outbox for the broker.
    decisions = Notification.objects.filter(kind=Notification.Kind.DECISION)
    assert sorted(decisions.values_list("recipient", flat=True)) == ["member0@example.kr", "member1@example.kr"]
    assert set(decisions.values_list("state", flat=True)) == {Notification.State.QUEUED}
    assert sorted(OutboxMessage.objects.values_list("task", flat=True)) == [
        "allocations.provision_allocation",
        "notifications.deliver",
        "notifications.deliver",
    ]

    with MailServer() as server:
        start_worker(task_queue, **smtp_env(server.port))
        assert outbox_relay(older_than_seconds=0) == 3
        wait_until(lambda: set(decisions.values_list("state", flat=True)) == {Notification.State.SENT}, "sent")
        allocation = Allocation.objects.get(application_item__application=approved)
        wait_until(lambda: Allocation.objects.get(pk=allocation.pk).is_active, "provisioned")
        # The relay again finds nothing; a late duplicate of a delivery finds the e-mail sent.
        assert outbox_relay(older_than_seconds=0) == 0
        time.sleep(1)
        received = server.received

    assert sorted(message.recipients[0] for message in received) == ["member0@example.kr", "member1@example.kr"]
    assert not OutboxMessage.objects.exists()
