"""Evidence and certificate uploads: PDF, PNG or JPEG only, at most 10 MB, checked by content.

The extension must match what the bytes are, and images must parse as the image they claim
to be, so an HTML page with a PNG signature in front is refused; an image may have at most
50 million pixels (a small file can declare a huge image, which a viewer then unpacks). Where
ClamAV is configured (``CLAMAV_SOCKET``), every newly received file is scanned first, and a
scanner that does not answer refuses the file (``portal.antivirus``). Stored under generated
names and served only through views that check who is asking (never from a public media URL).
"""

import unicodedata
import uuid
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _
from PIL import Image

from portal import antivirus, formats

# The same figure as settings.UPLOAD_FILE_MAX_BYTES, where the upload handler stops receiving a
# file (portal/request_limits.py); a test holds them equal.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000
# The longest original file name kept (the model's column is 255; names are shown and sent back in
# a Content-Disposition header, so a few hundred characters of name are of use to nobody).
MAX_ORIGINAL_NAME = 120
_KIND_BY_EXTENSION = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
_SIGNATURES = {"pdf": b"%PDF-", "png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG"}


def _extension(name: str) -> str:
    return PurePath(name or "").suffix.lower()


def _read_all(upload: File) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _received_now(upload: File) -> UploadedFile | None:
    """The file just received from the client, or ``None`` for a file already stored (it was
    scanned when it arrived), so a form saved again does not scan it again."""
    if isinstance(upload, UploadedFile):
        return upload
    if isinstance(upload, FieldFile) and not getattr(upload, "_committed", True):
        inner = getattr(upload, "file", None)
        if isinstance(inner, UploadedFile):
            return inner
    return None


def _scan(upload: File) -> None:
    received = _received_now(upload)
    # The form's field and the model's field both validate one upload: it is scanned once.
    if received is None or getattr(received, "portal_scanned", False):
        return
    try:
        received.seek(0)
        signature = antivirus.malware_found(received)
    except antivirus.ScannerUnavailable:
        raise ValidationError(
            _("The virus scanner is not answering, so no file can be accepted now. Please try again later."),
            code="scanner_unavailable",
        ) from None
    finally:
        received.seek(0)
    if signature is not None:
        raise ValidationError(
            _("The virus scanner found malware in this file (%(signature)s); it was not accepted."),
            code="malware",
            params={"signature": signature},
        )
    received.portal_scanned = True  # type: ignore[attr-defined]


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        _("The image has more than 50 million pixels. Please upload a smaller image."), code="too_many_pixels"
    )


def validate_evidence_file(upload: File) -> None:
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        # Exact figures: 10 MB + 1 byte is over the limit, and "10.0 MB" would not say so.
        raise ValidationError(
            _(
                "The file is larger than the limit of 10 MB (%(limit)s bytes): it has %(size)s bytes. "
                "Please upload a smaller file."
            ),
            code="too_large",
            params={"limit": formats.figure(MAX_UPLOAD_BYTES), "size": formats.figure(upload.size)},
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    if antivirus.scanning_enabled():
        _scan(upload)
    kind = _KIND_BY_EXTENSION.get(_extension(upload.name or ""))
    if kind is None:
        raise ValidationError(_("Only PDF, PNG or JPEG files are accepted."), code="extension")
    data = _read_all(upload)
    if not data.startswith(_SIGNATURES[kind]):
        raise ValidationError(
            _("The file's content is not a %(kind)s document, whatever its name says."),
            code="content",
            params={"kind": kind.upper()},
        )
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError(_("The PDF file is damaged or incomplete."), code="content")
        return
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            # Image.open reads only the header: the size is checked before any pixel is unpacked.
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise _too_many_pixels()
            image.verify()
            if image.format != _PIL_FORMATS[kind]:
                raise ValidationError(
                    _("The image is not a valid %(kind)s file."), code="content", params={"kind": kind.upper()}
                )
    except ValidationError:
        raise
    except Image.DecompressionBombError:  # Pillow's own bound, far above ours
        raise _too_many_pixels() from None
    except Exception:  # Pillow raises many types for broken or disguised files
        raise ValidationError(
            _("The image is not a valid %(kind)s file."), code="content", params={"kind": kind.upper()}
        ) from None
    finally:
        upload.seek(0)


def original_name(name: str | None) -> str:
    """The name the applicant's file had, fit to keep, show and send back: its last path part
    only (a browser may send ``C:\\Users\\…\\사업자등록증.pdf``), in NFC, without control or
    format characters, whitespace runs collapsed, at most ``MAX_ORIGINAL_NAME`` characters with its
    extension kept. Empty when nothing of the name is left."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if char.isspace() else char for char in name if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    name = " ".join(name.split()).strip(" .")
    if name in ("", "..", "."):
        return ""
    if len(name) > MAX_ORIGINAL_NAME:
        suffix = PurePath(name).suffix
        suffix = suffix if len(suffix) <= 10 else ""
        name = name[: MAX_ORIGINAL_NAME - len(suffix)].rstrip(" .") + suffix
    return name


def _generated_name(folder: str, filename: str) -> str:
    return f"{folder}/{uuid.uuid4().hex}{_extension(filename)}"


def certificate_upload_to(instance, filename: str) -> str:
    return _generated_name("certificates", filename)


def evidence_upload_to(instance, filename: str) -> str:
    return _generated_name("evidence", filename)
