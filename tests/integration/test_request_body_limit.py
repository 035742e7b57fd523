"""The request-size limit in a real gunicorn, as the audit reproduced the flood: a client announces
a 200 MB body to the login page, sends its first megabyte and waits. The portal answers 413 at
once, without waiting for the rest, and nothing lands in the web process's temporary folder."""

import socket
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_metrics_scrape import free_port, get, running, wait_until
from tests.processes import portal_env

pytestmark = pytest.mark.integration

MB = 1024 * 1024
BOUNDARY = "----portal-test-boundary"


def files_in(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_gunicorn_answers_413_to_a_200_mb_body_before_receiving_it(tmp_path):
    temp_folder = tmp_path / "tmp"
    temp_folder.mkdir()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = portal_env({"TMPDIR": str(temp_folder), "PYTHONUNBUFFERED": "1"})
    command = [
        *(sys.executable, "-m", "gunicorn", "portal.wsgi:application"),
        *("--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1"),
    ]
    with running(command, env, log) as process:
        wait_until(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200, "gunicorn answering", process, log)
        head = (
            "POST /accounts/login/ HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\n"
            "Cookie: csrftoken=abcdefghijklmnopqrstuvwxyz012345\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {200 * MB}\r\n\r\n"
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(head)
            try:
                connection.sendall(b"%PDF-" + b"0" * MB)
            except OSError:
                pass  # the portal may already have answered and closed
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
        seconds = time.monotonic() - started

    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    assert status_line.startswith("HTTP/1.1 413"), (status_line, log.read_text()[-3000:])
    assert seconds < 5
    assert files_in(temp_folder) == []
