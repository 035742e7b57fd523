"""Reads of the allocation engine, for the beat jobs and the pages that show allocations."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
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
