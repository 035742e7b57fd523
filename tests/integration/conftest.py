import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app as celery_app
from portal.celery import ping
from tests.processes import ROOT, portal_env


@pytest.fixture
def celery_worker_queue(start_worker):
    """A real Celery worker process on the configured broker, consuming a queue of its own.

    The queue name is unique so that a developer's running worker (make run) or an earlier
    test run's leftover messages never meet this test's tasks.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    start_worker(queue)
    return queue


# --- Workers for the provisioning tests ---------------------------------------------------------

# The provisioner and its faults (tests/provisioners.py): a worker gets only those its test
# names, never the caller's.
PROVISIONING_KNOBS = (
    "PROVISIONER_BACKEND",
    "FAULTY_CLOUD_DELAY_MS",
    "FAULTY_CLOUD_TRANSIENT_FAILURES",
    "FAULTY_CLOUD_ALWAYS_FAIL",
    "PROVISIONING_MAX_ATTEMPTS",
    "PROVISIONING_STUCK_AFTER_SECONDS",
)
FAULTY_CLOUD = "tests.provisioners.FaultyCloud"


@pytest.fixture
def task_queue():
    """A queue of the test's own, to which this process sends the tasks the app enqueues.

    The outbox publishes with ``apply_async``, which routes to ``task_default_queue`` at sending time; the
    Django setting is read only when the Celery app is first configured, so the app's
    configuration is changed here (and put back afterwards), not the setting.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = previous


def current_database_url() -> str:
    """The URL of the database this test is using (the test database), for a subprocess."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(name).resolve()}"
    # The configured URL with the test database's name: credentials, host and options are kept.
    return urlsplit(settings.DATABASE_URL)._replace(path=f"/{quote(name)}").geturl()


@pytest.fixture
def start_worker(tmp_path):
    """Start real Celery workers on the test database: ``start_worker(queue, **env)`` -> Popen.

    Each worker consumes ``queue`` with one process (``--pool solo``, in a session of its own so
    that a test can kill it with ``os.killpg``), sends its own tasks (retries, follow-ups) to
    that queue too, and is ready (it answered a ping) when the call returns. ``env`` sets the
    provisioning knobs of that worker. At teardown every worker still running is stopped, and
    its log is printed (pytest shows it when the test failed).
    """
    started: list[tuple[subprocess.Popen, Path]] = []

    def start(queue: str, **env: str) -> subprocess.Popen:
        name = f"{queue}-{len(started) + 1}"
        log_path = tmp_path / f"{name}.log"
        with log_path.open("w") as log:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--queues",
                    queue,
                    "--hostname",
                    f"{name}@%h",
                    "--pool",
                    "solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel",
                    "info",
                    "--",
                    f"task.default_queue={queue}",
                ],
                cwd=ROOT,
                env=portal_env(
                    {"DATABASE_URL": current_database_url(), "PYTHONUNBUFFERED": "1", **env}, remove=PROVISIONING_KNOBS
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker.log_path = log_path  # for a test that waits for a line of it
        started.append((worker, log_path))
        _wait_until_ready(worker, queue, name, log_path)
        return worker

    try:
        yield start
    finally:
        for worker, log_path in started:
            if worker.poll() is None:
                # The test is over: nothing the worker would still do matters, and a warm
                # shutdown costs seconds per test.
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
            sys.stdout.write(f"--- celery worker log ({log_path.stem}, exit {worker.returncode}) ---\n")
            sys.stdout.write(log_path.read_text())


def _wait_until_ready(worker: subprocess.Popen, queue: str, name: str, log_path: Path, timeout: float = 60) -> None:
    # A ping through the broker, answered by this very worker, proves it consumes the queue.
    result = ping.apply_async(queue=queue)
    deadline = time.monotonic() + timeout
    while not result.ready():
        if worker.poll() is not None:
            pytest.fail(f"worker {name} exited ({worker.returncode}) before it was ready:\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"worker {name} did not answer a ping within {timeout} s:\n{log_path.read_text()}")
        time.sleep(0.1)
    answer = result.get()
    result.forget()
    assert answer["pong"].startswith(f"{name}@"), answer


@contextmanager
def broker_unreachable(tmp_path, monkeypatch):
    """This process cannot send to the broker inside the block: a closed port for Redis, a
    folder that cannot exist for the file-system transport.

    The app caches its connection and producer pools; they are dropped on the way in so that
    an open connection cannot hide the outage, and on the way out so that the app goes back
    to the configured broker's pools (kept, untouched, in kombu's registry).
    """
    with monkeypatch.context() as patch:
        if urlsplit(settings.CELERY_BROKER_URL).scheme == "filesystem":
            blocker = tmp_path / "not-a-folder"
            blocker.write_text("")
            options = {**celery_app.conf.broker_transport_options, "data_folder_out": str(blocker / "broker")}
            patch.setitem(celery_app.conf, "broker_transport_options", options)
        else:
            # The environment's CELERY_BROKER_URL wins over the app's configuration: patch it there.
            patch.setenv("CELERY_BROKER_WRITE_URL", "redis://127.0.0.1:1/0")
        _forget_broker_pools()
        try:
            yield
        finally:
            celery_app.amqp.producer_pool.force_close_all()  # the unreachable broker's pools only
            celery_app.pool.force_close_all()
            _forget_broker_pools()


def _forget_broker_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
