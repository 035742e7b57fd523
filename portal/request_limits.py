"""Limits on what a client may send, applied before and while the body is read.

- ``RequestBodyLimitMiddleware`` answers 413 to a request whose ``Content-Length`` passes
  ``REQUEST_BODY_MAX_BYTES`` without reading a byte of its body. Django never reads past the
  ``Content-Length`` (a body without one is read as empty), so this bounds every body.
- ``UploadSizeLimitHandler`` (first of ``FILE_UPLOAD_HANDLERS``) stops writing a file once it
  passes ``UPLOAD_FILE_MAX_BYTES`` and hands the form a placeholder with the size received, so
  the form says "the file is 40 MB; the limit is 10 MB" while nothing past the limit touches the
  disk. A request with no logged-in user gets no file at all: no page takes files from
  anonymous visitors, and the CSRF check reads the body before it refuses a forged request.
  The apps above may vouch for other callers (``register_uploader``: the API's personal tokens,
  whose user is known only to the API's own views, after a middleware may have read the body).

gunicorn has no limit on the body (only on the request line and headers, gunicorn.conf.py); the
reverse proxy's own limit (nginx's ``client_max_body_size``) stops a large body before it
reaches the portal at all.
"""

import io
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return request_too_large(length)
        return self.get_response(request)


def request_too_large(length: int) -> HttpResponse:
    message = _("The request is %(size)s; at most %(limit)s can be sent at once. Please send smaller files.") % {
        "size": filesizeformat(length),
        "limit": filesizeformat(settings.REQUEST_BODY_MAX_BYTES),
    }
    response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    # The body was not read: the connection cannot carry another request.
    response["Connection"] = "close"
    return response


# Who else may send files, as the apps above say it (registered from their AppConfig.ready()).
_uploaders: list[Callable[[HttpRequest], bool]] = []


def register_uploader(check: Callable[[HttpRequest], bool]) -> None:
    """Let a request for which ``check(request)`` is true send files, as a logged-in user does."""
    if check not in _uploaders:
        _uploaders.append(check)


class OversizedUpload(UploadedFile):
    """What the form receives for a file that passed the limit: its name and the size the
    client sent, and none of its bytes."""

    def __init__(self, name: str, size: int, content_type: str | None, charset: str | None):
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size, charset=charset)


class UploadSizeLimitHandler(FileUploadHandler):
    """Passes each file's chunks on to the next handlers (memory, then a temporary file) until
    the file passes its limit; from then on they are counted and dropped."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.limit = settings.UPLOAD_FILE_MAX_BYTES if self._from_a_logged_in_user() else 0
        self.received = 0
        self.dropped = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if not self.dropped and self.received > self.limit:
            self.dropped = True
            self._discard_what_the_others_kept()
        return None if self.dropped else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.dropped:
            return None  # the next handlers hold the whole file
        return OversizedUpload(self.file_name or "", self.received, self.content_type, self.charset)

    def _from_a_logged_in_user(self) -> bool:
        # The body may be read before AuthenticationMiddleware has set request.user (a middleware
        # that checks the posted form): the user is then read from the session as that
        # middleware would, and kept for it (get_user caches it on the request).
        request = self.request
        if request is None:
            return False
        user = getattr(request, "user", None)
        if user is None and hasattr(request, "session"):
            user = get_user(request)
        if user is not None and user.is_authenticated:
            return True
        return any(check(request) for check in _uploaders)

    def _discard_what_the_others_kept(self) -> None:
        # The temporary file the next handler wrote so far is deleted when it is closed.
        for handler in self.request.upload_handlers if self.request is not None else ():
            kept = getattr(handler, "file", None)
            if handler is not self and kept is not None:
                kept.close()
