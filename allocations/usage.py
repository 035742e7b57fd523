"""What each allocation adds to its offering's daily usage, and the audit of the usage changes
kept by the database (``UsageChange``, migration 0010) against the allocations.

Per day, an offering's units are *in service* (active, or active then: an expired allocation
served its whole period, a revoked one until the day before it was revoked, that day taken in
the portal's time zone) or *being provisioned* (pending or provisioning); a failed allocation
never held any. The dashboard draws these figures; the triggers of migration 0010 keep, per
offering and day, how they change that day (+units on the first day of an allocation's span,
−units on the day after its last), so the figures of any period are running sums of a bounded
number of rows, not of the allocations.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from allocations.models import Allocation, AllocationState, UsageChange

IN_SERVICE_STATES = (AllocationState.ACTIVE, AllocationState.EXPIRED, AllocationState.REVOKED)
BEING_PROVISIONED_STATES = (AllocationState.PENDING, AllocationState.PROVISIONING)

Figures = tuple[int, int]  # (in service, being provisioned)


@dataclass(frozen=True)
class Span:
    """The days on which an allocation counts, and in which series."""

    offering_id: int
    first: date
    last: date
    in_service: int
    being_provisioned: int


def usage_span(
    *, offering_id: int, state: str, quantity: int, starts_on: date, ends_on: date, state_changed_at: datetime
) -> Span | None:
    """What one allocation adds to the daily figures; None when it adds nothing (failed, or
    revoked before its first day). The triggers of migration 0010 apply the same rule."""
    if state in BEING_PROVISIONED_STATES:
        return Span(offering_id, starts_on, ends_on, 0, quantity)
    if state not in IN_SERVICE_STATES:
        return None
    last = ends_on
    if state == AllocationState.REVOKED:
        revoked_on = state_changed_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
        last = min(ends_on, revoked_on - timedelta(days=1))
    if last < starts_on:
        return None
    return Span(offering_id, starts_on, last, quantity, 0)


def usage_changes_recomputed(offering_ids: list[int] | None = None) -> dict[tuple[int, date], Figures]:
    """The usage changes per (offering, day) computed from the allocations, without the days on
    which nothing changes: what the triggers keep in ``UsageChange``."""
    allocations = (
        Allocation.objects.all() if offering_ids is None else Allocation.objects.filter(offering_id__in=offering_ids)
    )
    changes: dict[tuple[int, date], list[int]] = {}
    fields = ("offering_id", "state", "quantity", "starts_on", "ends_on", "state_changed_at")
    for values in allocations.values_list(*fields).iterator(chunk_size=5000):
        span = usage_span(**dict(zip(fields, values, strict=True)))
        if span is None:
            continue
        for day, sign in ((span.first, 1), (span.last + timedelta(days=1), -1)):
            change = changes.setdefault((span.offering_id, day), [0, 0])
            change[0] += sign * span.in_service
            change[1] += sign * span.being_provisioned
    return {key: (change[0], change[1]) for key, change in changes.items() if change != [0, 0]}


@dataclass(frozen=True)
class UsageDrift:
    offering_id: int
    day: date
    kept: Figures  # (in service, being provisioned) changes in ``UsageChange``
    recomputed: Figures  # the same from the allocations


def usage_drift(offering_ids: list[int] | None = None) -> list[UsageDrift]:
    """Every (offering, day) whose kept usage change differs from the allocations'; an empty list
    means the dashboard's daily figures are exact."""
    rows = (
        UsageChange.objects.all() if offering_ids is None else UsageChange.objects.filter(offering_id__in=offering_ids)
    )
    kept = {
        (offering_id, day): (in_service, being_provisioned)
        for offering_id, day, in_service, being_provisioned in rows.values_list(
            "offering_id", "day", "in_service", "being_provisioned"
        )
        if (in_service, being_provisioned) != (0, 0)
    }
    recomputed = usage_changes_recomputed(offering_ids)
    return [
        UsageDrift(offering_id, day, kept.get((offering_id, day), (0, 0)), recomputed.get((offering_id, day), (0, 0)))
        for offering_id, day in sorted(set(kept) | set(recomputed))
        if kept.get((offering_id, day)) != recomputed.get((offering_id, day))
    ]


def usage_changes_rebuild() -> int:
    """Replace every kept usage change by the recomputed ones (after a bulk load made with the
    triggers off, as the dashboard's benchmark does). Returns the number of rows written."""
    UsageChange.objects.all().delete()
    rows = UsageChange.objects.bulk_create(
        (
            UsageChange(offering_id=offering_id, day=day, in_service=in_service, being_provisioned=being_provisioned)
            for (offering_id, day), (in_service, being_provisioned) in sorted(usage_changes_recomputed().items())
        ),
        batch_size=2000,
    )
    return len(rows)
