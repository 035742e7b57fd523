"""Evidence and certificate uploads: PDF, PNG or JPEG only, at most 10 MB, checked by content.

The extension must match what the bytes are, and images must parse as the image they claim
to be, so an HTML page with a PNG signature in front is refused. Stored under generated names
and served only through views that check who is asking (never from a public media URL).
"""

import uuid
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
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


def validate_evidence_file(upload: File) -> None:
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is %(size)s; the limit is 10 MB. Please upload a smaller file."),
            code="too_large",
            params={"size": filesizeformat(upload.size)},
        )
    if not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
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
            image.verify()
            if image.format != _PIL_FORMATS[kind]:
                raise ValidationError(
                    _("The image is not a valid %(kind)s file."), code="content", params={"kind": kind.upper()}
                )
    except ValidationError:
        raise
    except Exception:  # Pillow raises many types for broken or disguised files
        raise ValidationError(
            _("The image is not a valid %(kind)s file."), code="content", params={"kind": kind.upper()}
        ) from None
    finally:
        upload.seek(0)


def _generated_name(folder: str, filename: str) -> str:
    return f"{folder}/{uuid.uuid4().hex}{_extension(filename)}"


def certificate_upload_to(instance, filename: str) -> str:
    return _generated_name("certificates", filename)


def evidence_upload_to(instance, filename: str) -> str:
    return _generated_name("evidence", filename)
