"""Reads of the allocation engine, for the beat jobs and the pages that show allocations."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from allocations.models import Allocation


def allocations_to_expire(today: date | None = None) -> QuerySet[Allocation]:
    """Active allocations whose last day is before ``today`` (Asia/Seoul)."""
    today = today or timezone.localdate()
    return Allocation.objects.filter(state=Allocation.State.ACTIVE, ends_on__lt=today)


def allocations_stuck(now: datetime | None = None) -> QuerySet[Allocation]:
    """Pending or provisioning allocations whose last change is older than the sweep threshold."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.PROVISIONING_STUCK_AFTER_SECONDS)
    return Allocation.objects.filter(
        state__in=[Allocation.State.PENDING, Allocation.State.PROVISIONING], state_changed_at__lt=threshold
    )


def provisioning_backlog(now: datetime | None = None) -> dict[str, tuple[int, timedelta | None]]:
    """Per waiting state (pending, provisioning): how many allocations are in it, and how long
    the one longest in it has been (``None`` when none is). Granted capacity waiting for the
    cloud: a backlog that grows while the broker or the worker is down."""
    now = now or timezone.now()
    waiting = (Allocation.State.PENDING, Allocation.State.PROVISIONING)
    rows = (
        Allocation.objects.filter(state__in=waiting)
        .order_by()
        .values("state")
        .annotate(count=Count("pk"), oldest=Min("state_changed_at"))
    )
    backlog: dict[str, tuple[int, timedelta | None]] = {state.value: (0, None) for state in waiting}
    for row in rows:
        backlog[row["state"]] = (row["count"], now - row["oldest"])
    return backlog


def allocations_failed() -> int:
    """How many allocations ever failed to be provisioned (their capacity went back to the pool)."""
    return Allocation.objects.filter(state=Allocation.State.FAILED).count()
