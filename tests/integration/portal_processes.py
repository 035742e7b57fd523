"""The portal as it runs in production, started by a test: gunicorn, a Celery worker and beat,
each a process of its own on the database and Redis the test names; and a visitor that talks to
it over HTTP as a browser does (cookies, the CSRF token, no redirect followed)."""

import http.cookiejar
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import PRODUCTION_ENV, ROOT, free_port, portal_env, run_manage


def production_like(folder: Path, **env: str) -> dict[str, str]:
    """The production settings (DEBUG off, the 500 and 503 pages, hashed static files) on plain
    HTTP at 127.0.0.1, as behind a TLS proxy minus the TLS; the static files collected into
    ``folder``."""
    values = {
        **PRODUCTION_ENV,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": "",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(folder / "static"),
        **env,
    }
    collected = run_manage("collectstatic", "--no-input", env=portal_env(values))
    assert collected.returncode == 0, collected.stdout + collected.stderr
    return values


@dataclass
class Answer:
    status: int
    body: str
    location: str
    seconds: float


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def wait_until(condition, what: str, within: float) -> float:
    """Wait for ``condition()`` to hold, at most ``within`` seconds; how long it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            pytest.fail(f"not {what} within {within} s")
        time.sleep(0.25)
    return time.monotonic() - started


def metrics(text: str) -> dict[str, float]:
    """A scrape of /metrics as {"name{label=value,...}": value}."""
    from prometheus_client.parser import text_string_to_metric_families

    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return values


class Visitor:
    """One browser: its cookies, and every answer timed."""

    def __init__(self, base_url: str, *, timeout: float = 30) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def get(self, path: str) -> Answer:
        return self._send(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict) -> Answer:
        if self.csrf_token() is None:
            self.get(path)  # the form's page sets the CSRF cookie
        fields = {"csrfmiddlewaretoken": self.csrf_token() or "", **data}
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self._send(urllib.request.Request(self.base_url + path, data=body, method="POST"))

    def csrf_token(self) -> str | None:
        # Plain HTTP keeps Django's name; a Secure cookie carries the __Host- prefix (settings).
        return next((cookie.value for cookie in self.jar if cookie.name in ("csrftoken", "__Host-csrftoken")), None)

    def _send(self, request: urllib.request.Request) -> Answer:
        request.add_header("Accept-Language", "ko")
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            status, headers, body = error.code, error.headers, error.read()
        return Answer(status, body.decode(errors="replace"), headers.get("Location", ""), time.monotonic() - started)


class PortalProcesses:
    """Starts the web process, a worker and beat; stops them all, and prints their logs, at the end."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = portal_env({"PYTHONUNBUFFERED": "1", **env})
        self.started: list[tuple[str, subprocess.Popen, Path]] = []
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        log_path = self.folder / f"{name}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, process, log_path))
        return process

    def start_web(self, workers: int = 2) -> None:
        self.port = free_port()
        self._start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "--config",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
            ],
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log('web')}")

    def start_worker(self) -> None:
        self._start(
            "worker",
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "2", "--loglevel", "info"],
        )

    def start_beat(self) -> None:
        schedule = self.folder / "celerybeat-schedule"
        self._start(
            "beat",
            [sys.executable, "-m", "celery", "-A", "portal", "beat", "--schedule", str(schedule), "--loglevel", "info"],
        )

    def wait_for_log(self, name: str, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not log {text!r} within {timeout} s:\n{self.log(name)}")
            time.sleep(0.2)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def stop(self) -> None:
        for name, process, log_path in reversed(self.started):
            if process.poll() is None:
                # The test is over: a warm shutdown would only cost seconds per process.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            sys.stdout.write(f"--- {name} log (exit {process.returncode}) ---\n{log_path.read_text()}\n")
