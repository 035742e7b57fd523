import subprocess
import sys
import uuid

import pytest

from tests.processes import ROOT, portal_env


@pytest.fixture
def celery_worker_queue():
    """A real Celery worker process on the configured broker, consuming a queue of its own.

    The queue name is unique so that a developer's running worker (make run) or an earlier
    test run's leftover messages never meet this test's tasks.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
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
            f"{queue}@%h",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "info",
        ],
        cwd=ROOT,
        env=portal_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue
    finally:
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        # Shown by pytest only when the test failed: the worker's own account of what happened.
        sys.stdout.write(f"--- celery worker log ({queue}) ---\n{output}\n")
