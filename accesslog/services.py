"""Recording staff access to applicants' personal data (see ``accesslog.models``)."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accesslog.models import KIND_OF_PAGE, AccessPage, AccessRecord


def is_recorded(actor: Any) -> bool:
    """Whose access is recorded: staff (and superusers). Applicants reach only their own
    organisation's data, which is not an access by the processor's staff, and is not recorded."""
    return bool(actor.is_authenticated and (actor.is_staff or actor.is_superuser))


def access_record(
    *,
    actor: Any,
    address: str,
    page: AccessPage,
    path: str,
    subject: models.Model | None = None,
    description: str = "",
) -> AccessRecord | None:
    """Record that ``actor`` was shown ``subject`` on ``page`` (or, for an export, the rows that
    ``description`` names), from the IP ``address``, at the requested ``path``.

    Precondition: the caller has already let ``actor`` see the data (record what was shown, not
    what was asked for). Effect: one new row when ``actor`` is staff (``is_recorded``); nothing,
    and None, for anyone else. Not idempotent: each view is an event of its own (a page seen twice
    is two rows). The row is written at once, in the request's own transaction or autocommit: if it
    cannot be written the request fails, so nothing is shown unrecorded.
    """
    if not is_recorded(actor):
        return None
    return AccessRecord.objects.create(
        actor=actor,
        actor_email=actor.email,
        kind=KIND_OF_PAGE[page],
        page=page,
        content_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        object_id=str(subject.pk) if subject is not None else "",
        object_repr=(description or str(subject))[:300],
        path=path[:1000],
        ip_address=address,
    )
