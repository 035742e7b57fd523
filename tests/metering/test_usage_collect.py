"""Collecting a day from the configured source: the allocations in service that day, idempotent,
the beat's catch-up with its retries, the backfill command and the task."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from allocations.models import Allocation
from allocations.services import release
from metering import tasks
from metering.models import AllocationUsage, OfferingDayUsage, UsageRecord
from metering.selectors import granted_per_day, usage_total_drift
from metering.services import MeteringError, usage_collect, usage_collect_due, usage_collect_range
from metering.sources import UsageUnavailable
from metering.sources.modelled import ModelledCloudSource
from portal.errors import RetryLater
from tests.metering.conftest import award, pool

pytestmark = pytest.mark.django_db


def figures():
    return (
        sorted(UsageRecord.objects.values_list("allocation_id", "day", "source", "used")),
        sorted(OfferingDayUsage.objects.values_list("offering_id", "day", "used")),
        sorted(AllocationUsage.objects.values_list("allocation_id", "used_total", "last_day", "last_used_on")),
    )


class Unreachable:
    """A source whose server does not answer (as PrometheusSource raises it)."""

    source = "prometheus"

    def collect(self, day, allocations):
        raise UsageUnavailable("connection refused")


def test_a_day_records_each_allocation_in_service_within_its_grant(gpu, recent, today):
    start, end = recent
    storage = pool("Storage", "tb", kind="storage")
    active = award(gpu, 4, start, end)
    stored = award(storage, 10, start, end)
    later = award(gpu, 1, today + timedelta(days=3), end)  # not in service yet
    day = today - timedelta(days=2)

    written = usage_collect(day=day)

    records = dict(UsageRecord.objects.filter(day=day).values_list("allocation_id", "used"))
    assert written == 2
    assert set(records) == {active.pk, stored.pk}
    assert later.pk not in records
    for allocation in (active, stored):
        assert 0 <= records[allocation.pk] <= granted_per_day(allocation)
    assert UsageRecord.objects.filter(source="modelled").count() == 2


def test_collecting_twice_gives_the_same_figures(gpu, recent, today):
    award(gpu, 4, *recent)
    award(gpu, 2, *recent)
    day = today - timedelta(days=1)
    usage_collect(day=day)
    first = figures()

    usage_collect(day=day)

    assert figures() == first
    assert usage_total_drift() == []


def test_a_revoked_allocation_counts_until_the_day_before_its_revocation(gpu, recent, today, operator):
    allocation = award(gpu, 4, *recent)
    release.allocation_release(
        actor=operator, allocation=allocation, to_state=Allocation.State.REVOKED, reason="misuse"
    )

    usage_collect(day=today - timedelta(days=1))
    assert UsageRecord.objects.filter(allocation=allocation).exists()
    # Today is the day of the revocation: it is not a day of service.
    usage_collect(day=today, today=today + timedelta(days=1))
    assert not UsageRecord.objects.filter(allocation=allocation, day=today).exists()


def test_only_a_day_that_has_ended_is_collected(gpu, recent, today):
    award(gpu, 4, *recent)
    with pytest.raises(MeteringError):
        usage_collect(day=today)
    assert not UsageRecord.objects.exists()


def test_the_beat_collects_the_days_not_collected_yet_and_then_nothing(gpu, recent, today, settings):
    settings.USAGE_CATCH_UP_DAYS = 3
    award(gpu, 4, *recent)
    usage_collect(day=today - timedelta(days=2))

    collected = usage_collect_due()

    assert collected == [today - timedelta(days=3), today - timedelta(days=1)]
    assert usage_collect_due() == []
    assert sorted(set(UsageRecord.objects.values_list("day", flat=True))) == [
        today - timedelta(days=n) for n in (3, 2, 1)
    ]


def test_an_unreachable_source_is_retried_and_writes_nothing(gpu, recent, today, settings):
    settings.USAGE_COLLECTION_MAX_ATTEMPTS = 3
    award(gpu, 4, *recent)

    with pytest.raises(RetryLater) as later:
        usage_collect_due(source=Unreachable(), attempt=2)
    assert later.value.countdown == 120
    assert not UsageRecord.objects.exists()
    assert not OfferingDayUsage.objects.exists()
    # The last attempt gives up quietly; the next run of the beat tries again.
    assert usage_collect_due(source=Unreachable(), attempt=3) == []


def test_a_backfill_stops_at_a_failure_with_the_days_before_it_kept(gpu, recent, today):
    award(gpu, 4, *recent)
    first = today - timedelta(days=5)

    class FailsOnTheFourthDay(ModelledCloudSource):
        def collect(self, day, allocations):
            if day == first + timedelta(days=3):
                raise UsageUnavailable("timeout")
            return super().collect(day, allocations)

    with pytest.raises(UsageUnavailable):
        usage_collect_range(first=first, last=today - timedelta(days=1), source=FailsOnTheFourthDay())

    assert sorted(set(UsageRecord.objects.values_list("day", flat=True))) == [
        first + timedelta(days=n) for n in range(3)
    ]
    assert usage_total_drift() == []


def test_the_backfill_command_collects_a_range_and_again_the_same(gpu, recent, today):
    allocation = award(gpu, 4, *recent)
    first, last = today - timedelta(days=10), today - timedelta(days=1)
    arguments = ["collect_usage", "--from", first.isoformat(), "--to", last.isoformat()]

    call_command(*arguments)
    once = figures()
    call_command(*arguments)

    assert figures() == once
    assert UsageRecord.objects.filter(allocation=allocation).count() == 10
    assert AllocationUsage.objects.get(pk=allocation.pk).last_day == last
    with pytest.raises(CommandError):
        call_command("collect_usage", "--from", today.isoformat(), "--to", today.isoformat())


def test_the_task_run_twice_leaves_the_same_figures(gpu, recent, today, settings):
    settings.USAGE_CATCH_UP_DAYS = 2
    award(gpu, 4, *recent)

    tasks.collect_due_usage.apply()
    once = figures()
    tasks.collect_due_usage.apply()

    assert figures() == once
    assert len({day for _, day, _, _ in once[0]}) == 2
