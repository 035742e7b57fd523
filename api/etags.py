"""ETags of mutable objects and If-Match on their updates, so that two clients cannot overwrite
each other's changes silently.

The ETag is a hash of the object's representation (what ``GET`` returns), so it changes whenever
anything the client sees changes (a draft's items and claims included). An update:

    with transaction.atomic():
        draft = get_object_or_404(selector(request.user).select_for_update(), pk=pk)
        require_if_match(request, etag_of(DraftSerializer(draft).data), required=True)
        application_update_draft(actor=request.user, application=draft, ...)

checks the precondition under the row's lock, in the transaction of the service, so the check and
the write are one compare-and-set. ``required=True`` (drafts): no If-Match is a 428; elsewhere a
missing If-Match is allowed and a wrong one is a 412. ``If-Match: *`` matches any.
"""

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.request import Request
from rest_framework.response import Response

from api.problems import PreconditionFailed, PreconditionRequired


def etag_of(representation: Any) -> str:
    """A strong ETag (quoted) of a representation."""
    text = json.dumps(representation, sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=False)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _listed(header: str) -> list[str]:
    return [value.strip().removeprefix("W/") for value in header.split(",") if value.strip()]


def require_if_match(request: Request, current: str, *, required: bool = False) -> None:
    """Raise 412 when ``If-Match`` names none of ``current``; 428 when it is absent and ``required``."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise PreconditionRequired()
        return
    listed = _listed(header)
    if "*" in listed or current in listed:
        return
    raise PreconditionFailed()


def with_etag(response: Response, representation: Any | None = None) -> Response:
    """``response`` with the ETag of ``representation`` (default: its data)."""
    response["ETag"] = etag_of(response.data if representation is None else representation)
    return response
