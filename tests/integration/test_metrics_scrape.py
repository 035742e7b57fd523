"""/metrics as production serves it: gunicorn with several worker processes adding up their
request metrics (``PROMETHEUS_MULTIPROC_DIR``, ``gunicorn.conf.py``), and a real Prometheus
scraping it with the token. Without the ``prometheus`` binary (Debian's package: ``apt-get
install prometheus``; ``.ci/run`` installs it) the Prometheus test is skipped on a laptop and
fails under CI."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import Notification
from tests.integration.conftest import current_database_url
from tests.processes import ROOT, free_port, portal_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "a-metrics-token-for-the-integration-tests-0123456789"
WORKERS = 2
TIMEOUT = 60


def get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until(condition, what: str, process: subprocess.Popen, log: Path):
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
def running(command: list[str], env: dict[str, str], log: Path):
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


@contextmanager
def gunicorn(tmp_path: Path):
    """The portal's web process as the image runs it (gunicorn.conf.py, several sync workers),
    with the metrics folder set as docker-compose sets it; yields (base URL, process, log)."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = portal_env(
        {
            "DATABASE_URL": current_database_url(),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc"),
            "METRICS_TOKEN": TOKEN,
            "PYTHONUNBUFFERED": "1",
        }
    )
    command = [
        *(sys.executable, "-m", "gunicorn", "portal.wsgi:application"),
        *("--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
        *("--access-logfile", "-", "--graceful-timeout", "5"),
    ]
    with running(command, env, log) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: get(f"{base}/healthz")[0] == 200, "gunicorn answering", process, log)
        yield base, process, log


def samples_of(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def home_requests(samples) -> float:
    return samples.get(("portal_http_requests_total", (("method", "GET"), ("status", "2xx"), ("view", "home"))), 0)


def test_every_gunicorn_worker_s_requests_are_added_up_whichever_worker_answers_the_scrape(tmp_path):
    with gunicorn(tmp_path) as (base, process, log):
        for _ in range(30):
            assert get(f"{base}/")[0] == 200
        scrapes = [get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}") for _ in range(10)]

        files = sorted(path.name for path in (tmp_path / "multiproc").glob("*.db"))

    assert {status for status, _ in scrapes} == {200}
    # Every scrape counts all 30 requests, whichever worker served them and whichever answers.
    assert {home_requests(samples_of(text)) for _, text in scrapes} == {30}
    assert any(name.startswith("counter_") for name in files), files
    # The scrapes are not in the access log; the pages are.
    assert "GET / HTTP" in log.read_text()
    assert "/metrics" not in log.read_text()


def test_a_real_prometheus_scrapes_the_backlog_with_the_token(tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("prometheus is not installed (.ci/run installs Debian's package)")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    for number in range(3):
        Notification.objects.create(
            kind=Notification.Kind.ACCOUNT, recipient=f"queued{number}@example.kr", language="ko", subject="제목"
        )

    with gunicorn(tmp_path) as (base, _, _):
        target = urllib.parse.urlsplit(base).netloc
        config = tmp_path / "prometheus.yml"
        config.write_text(
            json.dumps(  # YAML is a superset of JSON
                {
                    "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "portal",
                            "authorization": {"type": "Bearer", "credentials": TOKEN},
                            "static_configs": [{"targets": [target]}],
                        }
                    ],
                }
            )
        )
        port = free_port()
        command = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ]
        log = tmp_path / "prometheus.log"
        with running(command, portal_env(), log) as prometheus:

            def query(expression: str):
                status, body = get(
                    f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
                )
                result = json.loads(body)["data"]["result"] if status == 200 else []
                return result[0]["value"][1] if result else None

            queued = wait_until(lambda: query("portal_emails_queued"), "queued e-mails in Prometheus", prometheus, log)
            up = query('up{job="portal"}')
            broker = query("portal_broker_up")

    assert queued == "3"
    assert up == "1"
    assert broker == "1"
