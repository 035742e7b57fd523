"""usage_ingest: one day's figures of one source in one statement, the totals moved by the
differences, idempotent, all or nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from metering.models import AllocationUsage, OfferingDayUsage, UsageRecord
from metering.selectors import usage_total_drift
from metering.services import MeteringError, usage_ingest
from portal import data_version
from tests.metering.conftest import award, pool

pytestmark = pytest.mark.django_db

DAY = date(2031, 1, 10)


@pytest.fixture
def world(gpu):
    cpu = pool("CPU", "core", kind="cpu")
    return {
        "gpu": gpu,
        "cpu": cpu,
        "a": award(gpu, 4, date(2031, 1, 1), date(2031, 3, 31)),
        "b": award(gpu, 2, date(2031, 1, 1), date(2031, 3, 31)),
        "c": award(cpu, 100, date(2031, 1, 1), date(2031, 3, 31)),
    }


def totals(world):
    day_usage = {(row.offering_id, row.day): row.used for row in OfferingDayUsage.objects.all()}
    per_allocation = {
        row.allocation_id: (row.used_total, row.last_day, row.last_used_on) for row in AllocationUsage.objects.all()
    }
    return day_usage, per_allocation


def test_a_day_is_written_with_its_totals(world):
    a, b, c = world["a"], world["b"], world["c"]

    written = usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("90.5"), b.pk: 0, c.pk: Decimal("1200")})

    assert written == 3
    assert dict(UsageRecord.objects.values_list("allocation_id", "used")) == {
        a.pk: Decimal("90.500"),
        b.pk: Decimal("0.000"),
        c.pk: Decimal("1200.000"),
    }
    day_usage, per_allocation = totals(world)
    assert day_usage == {(world["gpu"].pk, DAY): Decimal("90.500"), (world["cpu"].pk, DAY): Decimal("1200.000")}
    assert per_allocation[a.pk] == (Decimal("90.500"), DAY, DAY)
    assert per_allocation[b.pk] == (Decimal("0.000"), DAY, None)  # collected, never used
    assert usage_total_drift() == []


def test_collecting_a_day_again_replaces_it_and_never_counts_it_twice(world):
    a, b, c = world["a"], world["b"], world["c"]
    records = {a.pk: Decimal("90.5"), b.pk: Decimal("10"), c.pk: Decimal("1200")}
    usage_ingest(source="modelled", day=DAY, records=records)
    usage_ingest(source="modelled", day=DAY + timedelta(days=1), records={a.pk: Decimal("20")})
    before = totals(world)

    usage_ingest(source="modelled", day=DAY, records=records)

    assert totals(world) == before
    assert UsageRecord.objects.count() == 4

    # Different figures replace the old ones; the totals move by the differences only.
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("50"), b.pk: Decimal("10"), c.pk: Decimal("1000")})

    day_usage = dict(OfferingDayUsage.objects.filter(day=DAY).values_list("offering_id", "used"))
    assert day_usage == {world["gpu"].pk: Decimal("60.000"), world["cpu"].pk: Decimal("1000.000")}
    assert AllocationUsage.objects.get(pk=a.pk).used_total == Decimal("70.000")
    assert usage_total_drift() == []


def test_an_allocation_left_out_when_the_day_is_collected_again_loses_that_day(world):
    a, b = world["a"], world["b"]
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("5"), b.pk: Decimal("7")})

    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("5")})

    assert list(UsageRecord.objects.values_list("allocation_id", flat=True)) == [a.pk]
    assert OfferingDayUsage.objects.get(offering=world["gpu"], day=DAY).used == Decimal("5.000")
    usage = AllocationUsage.objects.get(pk=b.pk)
    assert (usage.used_total, usage.last_used_on) == (Decimal("0.000"), None)
    assert usage_total_drift() == []


def test_a_day_collected_again_as_unused_moves_the_last_day_of_use_back(world):
    a = world["a"]
    usage_ingest(source="modelled", day=DAY - timedelta(days=3), records={a.pk: Decimal("8")})
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("8")})
    assert AllocationUsage.objects.get(pk=a.pk).last_used_on == DAY

    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("0")})

    usage = AllocationUsage.objects.get(pk=a.pk)
    assert (usage.used_total, usage.last_day, usage.last_used_on) == (Decimal("8.000"), DAY, DAY - timedelta(days=3))
    assert usage_total_drift() == []


def test_sources_add_up_and_each_replaces_only_its_own_records(world):
    a = world["a"]
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("4")})
    usage_ingest(source="prometheus", day=DAY, records={a.pk: Decimal("6")})
    usage_ingest(source="prometheus", day=DAY, records={a.pk: Decimal("7")})

    assert OfferingDayUsage.objects.get(offering=world["gpu"], day=DAY).used == Decimal("11.000")
    assert AllocationUsage.objects.get(pk=a.pk).used_total == Decimal("11.000")
    assert usage_total_drift() == []


def test_a_failure_half_way_leaves_nothing_of_the_day(world, monkeypatch):
    a, b = world["a"], world["b"]
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("5")})
    before = (list(UsageRecord.objects.values_list("allocation_id", "day", "used")), totals(world))

    def broken():  # the last step of the ingestion's transaction fails
        raise RuntimeError("the process died")

    monkeypatch.setattr(data_version, "changed", broken)
    with pytest.raises(RuntimeError):
        usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("9"), b.pk: Decimal("3")})

    assert (list(UsageRecord.objects.values_list("allocation_id", "day", "used")), totals(world)) == before


def test_figures_are_rounded_and_negative_ones_refused(world):
    a = world["a"]
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("1.23456")})
    assert UsageRecord.objects.get().used == Decimal("1.235")

    with pytest.raises(MeteringError):
        usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("-1")})
    with pytest.raises(MeteringError):
        usage_ingest(source="no-such-source", day=DAY, records={a.pk: Decimal("1")})


def test_check_usage_is_clean_after_ingestion_and_reports_a_total_that_drifted(world, capsys):
    a = world["a"]
    usage_ingest(source="modelled", day=DAY, records={a.pk: Decimal("5")})
    call_command("check_usage")
    assert "equal the sums" in capsys.readouterr().out

    OfferingDayUsage.objects.filter(day=DAY).update(used=Decimal("6"))
    with pytest.raises(CommandError, match="1 usage total"):
        call_command("check_usage")

    assert "offering day" in capsys.readouterr().err
