"""What the load and scale-out benchmarks share: scratch databases named after DATABASE_URL, the
machine's Redis on a database number of their own, server processes that are always stopped,
and logged-in sessions made directly (never through the login form, whose per-IP limit would
refuse fifty logins from 127.0.0.1 in a minute).

Every process started here runs in a session of its own and is stopped (TERM, then KILL) when
the ``Servers`` block ends, also when the benchmark fails half-way.
"""

import math
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(sys.executable).parent
# A Redis database number nothing else on the machine uses (the suite uses 0-11 at most).
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "12"))


def exit_on_sigterm() -> None:
    """A benchmark stopped with SIGTERM still runs its ``finally`` blocks: its servers are
    stopped and its scratch database dropped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        sys.exit(f"The benchmarks need DATABASE_URL=postgres://… (the machine's PostgreSQL); it is {url!r}.")
    return url


def redis_url() -> str:
    """The machine's Redis (CELERY_BROKER_URL's server) on the benchmarks' own database number."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        sys.exit(f"The benchmarks need CELERY_BROKER_URL=redis://… (the machine's Redis); it is {url!r}.")
    return urlunsplit(parts._replace(path=f"/{BENCH_REDIS_DB}"))


def scratch_url(suffix: str) -> str:
    parts = urlsplit(postgres_url())
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        dbname="postgres",
        autocommit=True,
    )


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    name = urlsplit(url).path.lstrip("/")
    connection = _admin_connection(url)
    try:
        with connection.cursor() as cursor:
            # FORCE: a server killed half-way may have left its connections behind.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def django_on_scratch(suffix: str) -> str:
    """Create the scratch database ``<name><suffix>``, point the settings at it and set Django up
    (the production settings, but the static files' manifest, which needs collectstatic: the
    pages only build static URLs). Returns its URL, for ``recreate_database(url, drop_only=True)``."""
    url = scratch_url(suffix)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    django.setup()
    assert not settings.DEBUG
    return url


def postgres_version(url: str) -> str:
    connection = _admin_connection(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def login_session(user) -> str:
    """A session in which ``user`` is logged in, as ``django.contrib.auth.login`` leaves it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def enrol_second_factor(user) -> None:
    """An authenticator app for a staff ``user``, as allauth's set-up page leaves it: without one
    the portal sends staff to that page before any other (accounts/second_factor.py)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())


def server_environment(database_url: str, workdir: Path, secret_key: str, **extra: str) -> dict[str, str]:
    """The environment of a production-like web or worker process of the benchmarks (DEBUG=0),
    served over plain HTTP on loopback (bench/load_settings.py)."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PROVISIONER_", "PROVISIONING_", "FAULTY_CLOUD_", "EMAIL_", "SECURE_", "DJANGO_"))
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.load_settings",
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": redis_url(),
            "CELERY_RESULT_BACKEND": redis_url(),
            "CACHE_URL": redis_url(),
            "EMAIL_BACKEND": "file",
            "EMAIL_FILE_PATH": str(workdir / "mail"),
            "MEDIA_ROOT": str(workdir / "media"),
            # `make bench` collects the static files once for the load test and the scale-out check.
            "STATIC_ROOT": os.environ.get("BENCH_STATIC_ROOT") or str(workdir / "static"),
            "PORTAL_VAR_DIR": str(workdir),
            "LOG_LEVEL": "warning",
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update(extra)
    return environment


def collect_static(environment: dict[str, str]) -> None:
    """DEBUG=0 serves hashed static names from the manifest that collectstatic writes (once per
    `make bench`: compressing every file takes half a minute on two cores)."""
    if os.environ.get("BENCH_STATIC_ROOT") and (Path(environment["STATIC_ROOT"]) / "staticfiles.json").exists():
        return
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=environment, check=True
    )


class Servers:
    """Start processes with ``start``; all of them are stopped when the block ends."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "Servers":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()

    def start(self, name: str, command: list[str], environment: dict[str, str]) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes.append((name, process))
        return process

    def gunicorn(self, name: str, port: int, environment: dict[str, str], workers: int) -> subprocess.Popen:
        # The image's command (sync workers, as docker-compose runs it), without the access log.
        return self.start(
            name,
            [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--graceful-timeout", "5"],
            environment,
        )  # fmt: skip

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def ensure_running(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.log(name)[-3000:]}")

    def stop_all(self) -> None:
        for _name, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def wait_until_ready(base_url: str, servers: Servers, timeout: float = 60) -> None:
    """Until /readyz answers 200: the web process reaches PostgreSQL and Redis."""
    deadline = time.monotonic() + timeout
    while True:
        servers.ensure_running()
        try:
            with urllib.request.urlopen(f"{base_url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{base_url} was not ready within {timeout} s")
        time.sleep(0.2)


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process below it (Linux /proc)."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                waiting += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass  # the process or thread ended meanwhile
    return found


def peak_rss_mb(pid: int) -> float | None:
    """The most memory the process ``pid`` has held resident since it started (VmHWM), in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(found.group(1)) / 1024, 1) if found else None


def peak_rss_of_tree(pid: int) -> dict[int, float]:
    """``peak_rss_mb`` of ``pid`` and of every process below it (a gunicorn's workers, a Celery
    worker's pool): pid -> MB. Read while they run: an ended process has no figure."""
    return {each: mb for each in process_tree(pid) if (mb := peak_rss_mb(each)) is not None}


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = min(max(1, math.ceil(fraction * len(sorted_values))), len(sorted_values))
    return sorted_values[rank - 1]


class Browser:
    """A minimal browser over plain HTTP: keeps its cookies, sends Origin on POST, never follows
    redirects (the caller checks where it is sent). One connection per request, as gunicorn's
    sync workers close them anyway. Safe to share between threads only for reading pages."""

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None, timeout: float = 60) -> None:
        parts = urlsplit(base_url)
        self.base_url, self.host, self.port = base_url, parts.hostname, parts.port or 80
        self.cookies = dict(cookies or {})
        self.timeout = timeout

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> tuple:
        """-> (status, location, text)"""
        import http.client
        from http.cookies import SimpleCookie

        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        if method == "POST":
            headers.update({"Content-Type": content_type, "Origin": self.base_url, "Referer": self.base_url + path})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value and morsel["expires"]:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), text
        finally:
            connection.close()

    def get(self, path: str) -> tuple:
        return self.request("GET", path)

    def post(self, path: str, body: bytes, content_type: str) -> tuple:
        return self.request("POST", path, body, content_type)
