"""Objection attachments: checked like evidence (PDF, PNG or JPEG, at most 10 MB, by content), kept
under generated names and served only through a view that checks who is asking."""

import uuid
from pathlib import PurePath


def objection_upload_to(instance, filename: str) -> str:
    return f"objections/{uuid.uuid4().hex}{PurePath(filename or '').suffix.lower()}"
