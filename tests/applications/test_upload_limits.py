"""How much a client can make the portal receive: a body over REQUEST_BODY_MAX_BYTES is answered
413 before it is read, a file stops being kept once it passes 10 MB, and a visitor who is not
logged in has no file kept at all (portal/request_limits.py). What the storage handlers (memory,
then a temporary file on disk) were handed is what the portal kept."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse

from applications import services
from applications.uploads import MAX_UPLOAD_BYTES
from tests.applications.conftest import edit_form_data, post_draft

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def pdf_of_size(size: int) -> bytes:
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


@pytest.fixture
def kept(monkeypatch):
    """The bytes of uploaded files handed to the handlers that keep them (memory or disk)."""
    counted = {"bytes": 0}
    for handler_class in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        original = handler_class.receive_data_chunk

        def counting(self, raw_data, start, original=original):
            # The memory handler keeps a file only when the request is small enough
            # (``activated``); otherwise it passes the chunk on to the temporary file.
            if getattr(self, "activated", True):
                counted["bytes"] += len(raw_data)
            return original(self, raw_data, start)

        monkeypatch.setattr(handler_class, "receive_data_chunk", counting)
    return counted


@pytest.fixture
def temp_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def test_the_file_limit_is_the_upload_rule_s_limit():
    assert settings.UPLOAD_FILE_MAX_BYTES == MAX_UPLOAD_BYTES
    assert settings.REQUEST_BODY_MAX_BYTES >= 4 * MAX_UPLOAD_BYTES  # the application form's four files


def test_a_body_over_the_limit_is_answered_413_before_any_of_it_is_kept(kept, temp_dir):
    # The audit's request: an anonymous visitor with no CSRF token posts a file to the login page.
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    too_big = 46 * MB  # over REQUEST_BODY_MAX_BYTES (45 MB)

    response = client.post(
        reverse("account_login"), {"login": "x", "file": SimpleUploadedFile("big.pdf", b"0" * too_big)}
    )

    assert response.status_code == 413
    assert response["Connection"] == "close"
    assert "MB" in response.content.decode()
    assert kept["bytes"] == 0
    assert list(temp_dir.iterdir()) == []


def test_a_visitor_who_is_not_logged_in_has_no_file_kept(kept, temp_dir):
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32  # the CSRF check reads the body only with a cookie

    response = client.post(
        reverse("account_login"), {"login": "x", "file": SimpleUploadedFile("file.pdf", pdf_of_size(30 * MB))}
    )

    assert response.status_code == 403  # CSRF token missing, as before; but nothing was kept first
    assert kept["bytes"] == 0


class ReadsTheFormFirst:
    """A middleware that reads the posted form before AuthenticationMiddleware runs (as a check
    of every posted field does)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.POST  # noqa: B018
        return self.get_response(request)


@pytest.fixture
def draft(applicant, open_call, organization, temp_dir):
    return services.application_start(actor=applicant, call=open_call, organization=organization)


def test_a_certificate_over_10_mb_is_stopped_at_the_limit_and_reported_on_the_form(
    client, applicant, draft, kept, temp_dir
):
    client.force_login(applicant)

    response = post_draft(
        client,
        draft,
        edit_form_data(draft.call, certificate=SimpleUploadedFile("certificate.pdf", pdf_of_size(20 * MB))),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["business_certificate"]
    # The size as received (the handler stops at the limit), exactly, and the limit.
    assert any("10,485,760" in error and "10MB" in error for error in errors), errors
    assert kept["bytes"] <= MAX_UPLOAD_BYTES
    draft.refresh_from_db()
    assert not draft.business_certificate
    assert not (temp_dir / "media").exists() or not any((temp_dir / "media").rglob("*.pdf"))


def test_a_certificate_of_exactly_10_mb_is_still_accepted(client, applicant, draft, kept):
    client.force_login(applicant)

    response = post_draft(
        client,
        draft,
        edit_form_data(draft.call, certificate=SimpleUploadedFile("certificate.pdf", pdf_of_size(MAX_UPLOAD_BYTES))),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.business_certificate.size == MAX_UPLOAD_BYTES


def test_a_logged_in_user_s_file_is_kept_when_the_form_is_read_before_the_user_is(client, applicant, draft, settings):
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware"),
        f"{__name__}.ReadsTheFormFirst",
    )
    settings.MIDDLEWARE = middleware
    client.force_login(applicant)

    response = post_draft(
        client,
        draft,
        edit_form_data(draft.call, certificate=SimpleUploadedFile("certificate.pdf", pdf_of_size(3 * MB))),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.business_certificate.size == 3 * MB
