"""The allocations' changes feed: what the data center's provisioning and monitoring systems poll.

Every INSERT or UPDATE of an allocation moves its row of ``api.models.AllocationChange`` to the
end of the feed (triggers, migration api/0002): the row is numbered when the writing transaction
commits, under a lock held until the commit is done, so numbers follow the order of the commits.
A reader who has seen number n has seen every change numbered before it: a transaction that
began early and commits late gets a number after everything already read, never one behind a
cursor. The cursor is the last number read; an allocation that changes again appears again,
further on. (A number given by the database's ``updated_at`` or an ordinary sequence would not
do: both are taken before the commit, and a late commit would land behind a reader's cursor.)
"""

import base64
import binascii
from datetime import datetime

from django.db.models import QuerySet

from api.models import AllocationChange


def encode(sequence: int) -> str:
    return base64.urlsafe_b64encode(f"allocations.{sequence}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int | None:
    """The number a cursor names; None when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        feed, sequence = text.split(".")
        number = int(sequence)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if feed != "allocations" or not 0 <= number < 2**63:
        return None
    return number


def allocation_changes(*, after: int | None, since: datetime | None = None) -> QuerySet[AllocationChange]:
    """The changes numbered after ``after`` (or, for a first read, changed at or after ``since``;
    or all), in commit order, each with its allocation, offering, organisation and application:
    one query for a page (slice it)."""
    changes = AllocationChange.objects.filter(sequence__isnull=False).select_related(
        "allocation__offering", "allocation__organization", "allocation__application_item__application"
    )
    if after is not None:
        changes = changes.filter(sequence__gt=after)
    elif since is not None:
        changes = changes.filter(changed_at__gte=since)
    return changes.order_by("sequence")


def last_number() -> int:
    """The number of the last change committed (0 when none): the ``next`` of an empty first page."""
    last = (
        AllocationChange.objects.filter(sequence__isnull=False)
        .order_by("-sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    return last or 0
