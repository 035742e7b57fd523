"""A Prometheus server of a test's own (Debian's ``prometheus``; ``.ci/run`` installs it) on a spare
port with a scratch data folder, scraping the targets the test names every second. Without the
binary the test is skipped on a laptop and fails under CI."""

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.processes import ROOT, free_port, portal_env

TIMEOUT = 60


def prometheus_binary() -> str:
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("prometheus is not installed (.ci/run installs Debian's package)")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    return binary


def get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until(condition: Callable[[], Any], what: str, process: subprocess.Popen, log: Path) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"{what}: the process exited ({process.returncode}):\n{log.read_text()}")
        try:
            if result := condition():
                return result
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {TIMEOUT} s:\n{log.read_text()[-5000:]}")
        time.sleep(0.2)


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """``command`` in a session of its own, stopped (TERM, then KILL) when the block ends."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class Prometheus:
    def __init__(self, port: int, process: subprocess.Popen, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.process = process
        self.log = log

    def query(self, expression: str) -> list[dict]:
        status, body = get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
        return json.loads(body)["data"]["result"] if status == 200 else []

    def value(self, expression: str) -> str | None:
        result = self.query(expression)
        return result[0]["value"][1] if result else None

    def wait_until(self, condition: Callable[[], Any], what: str) -> Any:
        return wait_until(condition, what, self.process, self.log)


@contextmanager
def prometheus(tmp_path: Path, scrape_configs: list[dict]) -> Iterator[Prometheus]:
    """A real Prometheus scraping ``scrape_configs`` every second, its data in ``tmp_path``."""
    binary = prometheus_binary()
    config = tmp_path / "prometheus.yml"
    config.write_text(  # YAML is a superset of JSON
        json.dumps({"global": {"scrape_interval": "1s", "scrape_timeout": "1s"}, "scrape_configs": scrape_configs})
    )
    port = free_port()
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    log = tmp_path / "prometheus.log"
    with running(command, portal_env(), log) as process:
        server = Prometheus(port, process, log)
        server.wait_until(lambda: get(f"{server.url}/-/ready")[0] == 200, "Prometheus ready")
        yield server
