"""The one way the domain asks for background work: ``enqueue_on_commit``.

A service that wants a task run after its transaction (provision the allocations just granted,
deliver the e-mail just recorded) calls ``enqueue_on_commit("<task name>", *args)``. It writes an
``OutboxMessage`` in the same transaction and, after the commit, hands the message to the broker
and deletes the row. The request never waits on the broker for long: publishing does not retry,
the broker's connection times out after ``CELERY_BROKER_CONNECTION_TIMEOUT`` seconds, and once a
publish has failed the process stops trying for ``OUTBOX_BROKER_PAUSE_SECONDS`` (the rows wait).
A row left behind is published by ``outbox_relay`` (beat, every few seconds), so a broker outage
costs a delay, never the work.

Services name tasks by their registered name, never by importing their app's ``tasks`` module
(which imports the services: tasks are the thin edge).
"""

import logging
import time
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from outbox.models import OutboxMessage
from portal.celery import app as celery_app

logger = logging.getLogger(__name__)

# Until this moment (time.monotonic()), this process does not try the broker after commits.
_broker_paused_until = 0.0


def enqueue_on_commit(task: str, *args: Any, countdown: int | None = None) -> OutboxMessage:
    """Ask for ``task(*args)`` to run once the current transaction commits (at once outside one).

    Durable: the request is a row of the transaction, so a rolled-back transaction asks for
    nothing and a committed one is never forgotten. Delivered at least once: tasks are
    idempotent. Raises ``LookupError`` for a task name no worker knows.
    """
    _registered(task)
    message = OutboxMessage.objects.create(task=task, args=list(args), countdown=countdown)
    transaction.on_commit(lambda: _publish_after_commit(message))
    return message


def _publish_after_commit(message: OutboxMessage) -> None:
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return  # the broker failed a moment ago: the relay publishes the row
    # Runs after the commit, inside the request or task that committed: it must never raise.
    try:
        _publish(message)
    except Exception as error:  # the broker is unreachable: the row waits for the relay
        _broker_paused_until = time.monotonic() + settings.OUTBOX_BROKER_PAUSE_SECONDS
        logger.warning("could not hand %s to the broker; the outbox relay will: %s", message, error)
        _forget_or_note(message, error)
        return
    _forget_or_note(message)


def _forget_or_note(message: OutboxMessage, error: Exception | None = None) -> None:
    """Delete a published row, or count the failed attempt; a database that fails now leaves the
    row as it was (published twice at worst: tasks are idempotent)."""
    try:
        if error is None:
            _delete_published(message.pk)
        else:
            OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, last_error=_describe(error))
    except Exception:
        logger.warning("could not update the outbox row of %s", message, exc_info=True)


def _delete_published(message_id: int) -> None:
    """Delete the row of a message the broker has taken, without waiting for the disk.

    The one write whose loss costs nothing: if the server crashed before the deletion reached
    the disk, the row would come back and the relay publish it once more, which an idempotent
    task shrugs off. So on PostgreSQL this transaction does not wait for its commit to be
    flushed (``synchronous_commit`` off for it alone); the work's own transaction, which wrote
    the row, did. Saves a disk flush per message in the request that asked for the work.
    """
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        OutboxMessage.objects.filter(pk=message_id).delete()


def _registered(task: str) -> "Task[Any, Any]":
    """The task registered under ``task``. A web process imports the apps' ``tasks`` modules
    only when it first needs one (the worker imports them at start)."""
    if task not in celery_app.tasks:
        celery_app.loader.import_default_modules()
    try:
        return celery_app.tasks[task]
    except KeyError:
        raise LookupError(f"no task named {task!r}") from None


def _publish(message: OutboxMessage) -> None:
    task = _registered(message.task)
    if message.countdown is None:
        task.apply_async(args=message.args, retry=False)
    else:
        task.apply_async(args=message.args, retry=False, countdown=message.countdown)


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def outbox_relay(*, older_than_seconds: float = 2.0, limit: int = 1000) -> int:
    """Hand to the broker the messages that are still waiting (their commit-time publish failed
    or never ran), oldest first, and delete each once taken. Returns how many were published.

    Idempotent and safe to run concurrently: each row is locked (skipping rows another relay
    holds) while it is published; a task published twice runs twice, and tasks are idempotent.
    Rows younger than ``older_than_seconds`` are left to the process that wrote them.
    """
    published = 0
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    waiting = OutboxMessage.objects.filter(created_at__lt=cutoff).order_by("created_at", "pk")
    for pk in list(waiting.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if message is None:
                continue  # published by the process that wrote it, or by another relay
            try:
                _publish(message)
            except Exception as error:
                message.attempts += 1
                message.last_error = _describe(error)
                message.save(update_fields=["attempts", "last_error"])
                logger.warning("outbox relay: the broker refused %s: %s", message, error)
                return published
            message.delete()
            published += 1
    return published


def outbox_backlog() -> tuple[int, timedelta | None]:
    """How many messages wait for the broker, and the age of the oldest."""
    oldest = OutboxMessage.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return OutboxMessage.objects.count(), (timezone.now() - oldest if oldest else None)
