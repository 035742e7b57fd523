"""Starting the portal's own processes (manage.py, a Celery worker) from tests."""

import os
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
