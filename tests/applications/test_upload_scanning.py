"""What an upload's bytes may hold beyond their type: images of at most 50 million pixels, and,
where ClamAV is configured (``CLAMAV_SOCKET``), nothing its scanner recognises as malware.

The scanner tests start a real clamd (Debian's ``clamav-daemon``; ``.ci/run`` installs it) on a
socket of their own, never the machine's service. This machine cannot download ClamAV's
signature databases (freshclam needs the internet), so the test writes the one signature it
needs: EICAR's, as the MD5 of the file and its size (an ``.hdb`` file, the format the official
database itself uses for EICAR). clamd starts with any database folder holding one supported
signature file, and refuses to start with an empty one."""

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from applications import services
from applications.uploads import validate_evidence_file
from tests.applications.conftest import MINIMAL_PDF, edit_form_data, png_bytes, post_draft

pytestmark = pytest.mark.django_db

# The EICAR anti-virus test file: harmless, and recognised as a virus by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def png_of(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of width × height white pixels: a few kilobytes that a viewer
    unpacks into width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))

    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    header = struct.pack("!IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- image dimensions ----------------------------------------------------------------------------


def test_an_88_megapixel_png_of_a_few_kilobytes_is_refused():
    bomb = png_of(10_000, 8_800)
    assert len(bomb) < 100_000

    with pytest.raises(ValidationError) as refused:
        validate_evidence_file(upload("scan.png", bomb))

    assert refused.value.code == "too_many_pixels"


def test_a_png_far_past_pillow_s_own_bound_is_refused_as_too_many_pixels():
    with pytest.raises(ValidationError) as refused:
        validate_evidence_file(upload("scan.png", png_of(20_000, 10_000)))

    assert refused.value.code == "too_many_pixels"


def test_a_50_megapixel_png_is_accepted():
    assert validate_evidence_file(upload("scan.png", png_of(10_000, 5_000))) is None


# --- ClamAV --------------------------------------------------------------------------------------


def _clamd_answers(socket_path: Path) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.settimeout(2)
            connection.connect(str(socket_path))
            connection.sendall(b"zPING\0")
            return connection.recv(16).startswith(b"PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def clamd():
    """A real clamd of the test's own, with EICAR's signature: yields its socket's path."""
    executable = shutil.which("clamd") or ("/usr/sbin/clamd" if os.path.exists("/usr/sbin/clamd") else None)
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("clamd is not installed (.ci/run installs Debian's clamav-daemon)")
        pytest.skip("clamd is not installed (apt-get install clamav-daemon)")
    # A short path: a Unix socket's path may not exceed 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="clamd-"))
    database = folder / "db"
    database.mkdir()
    (database / "portal-test.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Portal.Test.EICAR\n")
    socket_path = folder / "clamd.sock"
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {database}\n"
        f"TemporaryDirectory {folder}\n"
        f"PidFile {folder / 'clamd.pid'}\n"
        "Foreground yes\n"
        "LogTime yes\n"
    )
    log = folder / "clamd.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [executable, "--config-file", str(config)], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while not _clamd_answers(socket_path):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"clamd did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield str(socket_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def scanning(settings, clamd):
    settings.CLAMAV_SOCKET = clamd
    return clamd


@pytest.fixture
def draft(applicant, open_call, organization, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return services.application_start(actor=applicant, call=open_call, organization=organization)


def post_certificate(client, application, file):
    return post_draft(client, application, edit_form_data(application.call, certificate=file))


def test_the_eicar_test_file_is_refused_by_the_scanner_and_not_stored(scanning, client, applicant, draft, tmp_path):
    client.force_login(applicant)

    response = post_certificate(client, draft, upload("certificate.pdf", EICAR))

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["business_certificate"]] == ["malware"]
    assert "Portal.Test.EICAR" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.business_certificate
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_a_clean_file_passes_the_scanner_and_is_stored(scanning, client, applicant, draft):
    client.force_login(applicant)

    response = post_certificate(client, draft, upload("certificate.pdf", MINIMAL_PDF))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.business_certificate.read() == MINIMAL_PDF


@pytest.mark.parametrize("name", ["certificate.pdf", "photo.png", "virus.exe"])
def test_the_scanner_sees_every_received_file_whatever_its_name(scanning, name):
    with pytest.raises(ValidationError) as refused:
        validate_evidence_file(upload(name, EICAR))

    assert refused.value.code == "malware"
    assert validate_evidence_file(upload("photo.png", png_bytes())) is None


def test_a_configured_scanner_that_does_not_answer_refuses_the_upload(settings, client, applicant, draft, tmp_path):
    settings.CLAMAV_SOCKET = str(tmp_path / "no-clamd-here.sock")
    client.force_login(applicant)

    response = post_certificate(client, draft, upload("certificate.pdf", MINIMAL_PDF))

    assert response.status_code == 200
    assert [error.code for error in response.context["form"].errors.as_data()["business_certificate"]] == [
        "scanner_unavailable"
    ]
    draft.refresh_from_db()
    assert not draft.business_certificate


def test_without_a_configured_scanner_files_are_not_scanned(settings):
    settings.CLAMAV_SOCKET = ""

    # make run has no clamd: the EICAR file is then judged by its type alone.
    with pytest.raises(ValidationError) as refused:
        validate_evidence_file(upload("certificate.pdf", EICAR))

    assert refused.value.code == "content"
