"""The Celery application: worker and beat load the Django settings under the CELERY_ prefix."""

import logging
import os
from functools import partial
from typing import Any

from celery import Celery, Task
from celery.beat import PersistentScheduler
from celery.worker.consumer import Consumer
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger(__name__)


class PortalTask(Task):
    """Every task of the portal: a database that cannot be reached for a moment (a restart, a
    fail-over) retries the task, 1, 2, 4 … at most 30 s later, rather than failing it and leaving
    the work to a sweeper minutes later. Tasks are idempotent, so a retry is always safe."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 1
    retry_backoff_max = 30
    retry_jitter = False
    max_retries = None


class PromptlyReconnectingConsumer(Consumer):
    """The worker's consumer, trying a broker that went away again at once and then every one to
    two seconds (Celery's own waits grow 2, 4, 6 … to 30 s): the work held back during a Redis
    outage starts within seconds of its return."""

    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = partial(conn.ensure_connection, interval_start=0, interval_step=1, interval_max=2)
        return super().ensure_connected(conn)


class PromptlyReconnectingScheduler(PersistentScheduler):
    """Beat's scheduler, trying a broker that went away again every one to two seconds (Celery's
    own waits grow to 30 s): the outbox relay it sends every few seconds resumes at once."""

    def _ensure_connected(self) -> Any:
        def error(exc: Exception, interval: float) -> None:
            logger.error("beat: the broker is unreachable (%s); trying again in %s s", exc, interval)

        return self.connection.ensure_connection(
            error, self.app.conf.broker_connection_max_retries, interval_start=0, interval_step=1, interval_max=2
        )


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="portal.ping")
def ping() -> dict[str, str]:
    """Answer from a worker: proves a message went through the broker and a worker ran it."""
    return {"pong": ping.request.hostname or ""}
