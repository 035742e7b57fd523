"""Starting the portal's own processes (manage.py, a Celery worker) from tests."""

import itertools
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What a production environment looks like to the settings module.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Qp2LrV9sK4mN8tW3yZ6bC1dF5gH0jA-production-like-key-for-tests-only",
    "ALLOWED_HOSTS": "portal.example.kr",
    "CSRF_TRUSTED_ORIGINS": "https://portal.example.kr",
    "CACHE_URL": "locmem://",
}


def portal_env(overrides: dict[str, str] | None = None, remove: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in remove}
    env.update(overrides or {})
    return env


def run_manage(*args: str, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def run_python(code: str, *, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


# Under pytest-xdist each worker (PYTEST_XDIST_WORKER=gw<n>) takes the ports of its servers from a
# range of its own, below the kernel's ephemeral ports (32768 and up on Linux), so that two workers
# never both pick a port between probing it and starting their server on it, and no client
# connection's ephemeral port takes it meanwhile. PORTAL_TEST_PORTS_FROM moves the ranges (default 20000).
PORTS_PER_WORKER = 500
_offsets = itertools.count()  # this worker's next port, as an offset into its range


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    worker = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    if worker is None:  # one process: the kernel's choice cannot meet another test's
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    first = int(os.environ.get("PORTAL_TEST_PORTS_FROM", "20000")) + int(worker.group(1)) * PORTS_PER_WORKER
    for _ in range(PORTS_PER_WORKER):
        # Each call moves on to the next port: a server just stopped may linger in TIME_WAIT.
        port = first + next(_offsets) % PORTS_PER_WORKER
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # something else (another run on this machine) listens there
            return port
    raise RuntimeError(f"no free port in {first}-{first + PORTS_PER_WORKER - 1}")
