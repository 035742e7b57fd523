"""/metrics as production serves it: gunicorn with several worker processes adding up their
request metrics (``PROMETHEUS_MULTIPROC_DIR``, ``gunicorn.conf.py``), and a real Prometheus
scraping it with the token. Without the ``prometheus`` binary (Debian's package: ``apt-get
install prometheus``; ``.ci/run`` installs it) the Prometheus test is skipped on a laptop and
fails under CI."""

import sys
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from notifications.models import Notification
from tests.integration.conftest import current_database_url
from tests.processes import free_port, portal_env
from tests.prometheus_server import get, prometheus, prometheus_binary, running, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TOKEN = "a-metrics-token-for-the-integration-tests-0123456789"
WORKERS = 2
TIMEOUT = 60


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
    prometheus_binary()
    for number in range(3):
        Notification.objects.create(
            kind=Notification.Kind.ACCOUNT, recipient=f"queued{number}@example.kr", language="ko", subject="제목"
        )

    with gunicorn(tmp_path) as (base, _, _):
        target = urllib.parse.urlsplit(base).netloc
        scrape = {
            "job_name": "portal",
            "authorization": {"type": "Bearer", "credentials": TOKEN},
            "static_configs": [{"targets": [target]}],
        }
        with prometheus(tmp_path, [scrape]) as server:
            queued = server.wait_until(lambda: server.value("portal_emails_queued"), "queued e-mails in Prometheus")
            up = server.value('up{job="portal"}')
            broker = server.value("portal_broker_up")

    assert queued == "3"
    assert up == "1"
    assert broker == "1"
