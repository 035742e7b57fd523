"""The outbox: background work asked for in a transaction exists if and only if the transaction
committed, reaches the broker after the commit without making the request wait on a broker that
is down, and is published by the relay when the commit-time publish could not."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from outbox import services as outbox
from outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "notifications.deliver"


def test_a_committed_request_is_published_and_forgotten(published_tasks):
    with transaction.atomic():
        outbox.enqueue_on_commit(TASK, 41)
        assert published_tasks == []  # not before the commit

    assert published_tasks == [(TASK, [41])]
    assert not OutboxMessage.objects.exists()


def test_a_rolled_back_transaction_asks_for_nothing(published_tasks):
    with transaction.atomic():
        outbox.enqueue_on_commit(TASK, 41)
        transaction.set_rollback(True)

    assert published_tasks == [] and not OutboxMessage.objects.exists()


def test_an_unknown_task_is_refused_at_once():
    with pytest.raises(LookupError):
        outbox.enqueue_on_commit("notifications.no_such_task", 1)


def refusing_broker(monkeypatch, attempts: list):
    def publish(message):
        attempts.append(message.task)
        raise ConnectionRefusedError("the broker is down")

    monkeypatch.setattr(outbox, "_publish", publish)


def test_a_broker_that_is_down_leaves_the_request_for_the_relay_and_is_not_tried_again_at_once(monkeypatch):
    attempts: list[str] = []
    refusing_broker(monkeypatch, attempts)

    for n in range(3):
        outbox.enqueue_on_commit(TASK, n)  # autocommit: each is a commit of its own

    assert attempts == [TASK]  # the first failure pauses this process's publishing
    assert OutboxMessage.objects.count() == 3
    assert OutboxMessage.objects.order_by("pk").first().attempts == 1


def test_the_relay_publishes_what_waits_oldest_first_and_leaves_fresh_rows_to_their_writer(published_tasks):
    old = OutboxMessage.objects.create(task=TASK, args=[1], created_at=timezone.now() - timedelta(minutes=1))
    older = OutboxMessage.objects.create(task=TASK, args=[2], created_at=timezone.now() - timedelta(minutes=2))
    OutboxMessage.objects.create(task=TASK, args=[3])  # its writer is publishing it right now

    assert outbox.outbox_relay(older_than_seconds=2) == 2

    assert published_tasks == [(TASK, [2]), (TASK, [1])]
    assert list(OutboxMessage.objects.values_list("args", flat=True)) == [[3]]
    assert not OutboxMessage.objects.filter(pk__in=[old.pk, older.pk]).exists()


def test_the_relay_stops_at_the_first_refusal_and_counts_it(monkeypatch):
    OutboxMessage.objects.create(task=TASK, args=[1], created_at=timezone.now() - timedelta(minutes=1))
    OutboxMessage.objects.create(task=TASK, args=[2], created_at=timezone.now() - timedelta(minutes=1))
    attempts: list[str] = []
    refusing_broker(monkeypatch, attempts)

    assert outbox.outbox_relay() == 0

    assert attempts == [TASK]
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [0, 1]


def test_the_backlog_says_how_many_wait_and_for_how_long():
    assert outbox.outbox_backlog() == (0, None)
    with time_machine.travel(timezone.now() - timedelta(minutes=3), tick=False):
        OutboxMessage.objects.create(task=TASK, args=[1])

    count, age = outbox.outbox_backlog()
    assert count == 1 and age >= timedelta(minutes=3)


def test_only_the_deletion_of_a_published_row_skips_waiting_for_the_disk(published_tasks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    with CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            outbox.enqueue_on_commit(TASK, 41)

    statements = [query["sql"] for query in queries.captured_queries]
    relaxed = statements.index("SET LOCAL synchronous_commit TO OFF")
    # The work's own transaction (the INSERT) committed before, with the server's durable default.
    assert any(sql.startswith('INSERT INTO "outbox_outboxmessage"') for sql in statements[:relaxed])
    assert statements[relaxed + 1].startswith('DELETE FROM "outbox_outboxmessage"')
    assert published_tasks == [(TASK, [41])] and not OutboxMessage.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # LOCAL: it ended with the deletion's transaction
