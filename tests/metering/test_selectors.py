"""Utilisation: used against granted, per allocation, group and day, on hand-worked figures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from metering.selectors import (
    DayUsage,
    daily_usage,
    granted_per_day,
    offering_daily_usage,
    utilisation,
    utilisation_by,
)
from metering.services import usage_ingest
from tests.metering.conftest import award, pool

pytestmark = pytest.mark.django_db

START, END = date(2031, 1, 1), date(2031, 1, 10)


@pytest.fixture
def world(gpu):
    storage = pool("Storage", "tb", kind="storage")
    a = award(gpu, 2, START, END)  # 48 GPU-hours a day
    b = award(gpu, 1, START + timedelta(days=5), END)  # 24 a day, from the 6th
    c = award(storage, 10, START, END)  # 10 TB a day
    for n in range(3):  # the first three days collected
        day = START + timedelta(days=n)
        usage_ingest(source="modelled", day=day, records={a.pk: Decimal(12 * (n + 1)), c.pk: Decimal(5)})
    usage_ingest(source="modelled", day=START + timedelta(days=5), records={b.pk: Decimal(6)})
    return {"gpu": gpu, "storage": storage, "a": a, "b": b, "c": c}


def test_granted_per_day_is_unit_hours_for_compute_and_units_otherwise(world):
    assert granted_per_day(world["a"]) == Decimal(48)
    assert granted_per_day(world["c"]) == Decimal(10)


def test_daily_usage_lists_every_day_of_service_with_none_where_not_collected(world):
    days = daily_usage(world["a"])

    assert len(days) == 10
    assert days[:4] == [
        DayUsage(START, Decimal("12.000"), Decimal(48)),
        DayUsage(START + timedelta(days=1), Decimal("24.000"), Decimal(48)),
        DayUsage(START + timedelta(days=2), Decimal("36.000"), Decimal(48)),
        DayUsage(START + timedelta(days=3), None, Decimal(48)),
    ]


def test_utilisation_over_a_window_counts_only_days_of_service(world):
    figures = utilisation([world["a"].pk, world["b"].pk, world["c"].pk], START, START + timedelta(days=5))

    assert (figures[world["a"].pk].used, figures[world["a"].pk].granted) == (Decimal(72), Decimal(288))
    assert figures[world["a"].pk].ratio == Decimal("0.25")
    assert (figures[world["b"].pk].used, figures[world["b"].pk].granted) == (Decimal(6), Decimal(24))
    assert (figures[world["c"].pk].used, figures[world["c"].pk].granted) == (Decimal(15), Decimal(60))


def test_utilisation_by_offering_organisation_and_call(world):
    window = (START, START + timedelta(days=5))
    by_offering = utilisation_by("offering", *window)
    by_organisation = utilisation_by("organization", *window)
    by_call = utilisation_by("call", *window)

    assert by_offering[world["gpu"].pk].used == Decimal(78)
    assert by_offering[world["gpu"].pk].granted == Decimal(288 + 24)
    assert by_offering[world["storage"].pk].ratio == Decimal("0.25")
    assert by_organisation[world["b"].organization_id].ratio == Decimal("0.25")
    call_of_a = world["a"].application_item.application.call_id
    assert by_call[call_of_a].used == Decimal(72)
    assert utilisation_by("allocation", *window, allocation_ids=[world["a"].pk]).keys() == {world["a"].pk}


def test_an_offerings_daily_usage_reads_the_kept_totals_and_the_units_in_service(world):
    series = offering_daily_usage(START, START + timedelta(days=6), [world["gpu"].pk])[world["gpu"].pk]

    assert [day.used for day in series] == [Decimal(12), Decimal(24), Decimal(36), None, None, Decimal(6), None]
    assert [day.granted for day in series] == [Decimal(48)] * 5 + [Decimal(72)] * 2


def test_a_window_before_the_service_grants_nothing(world):
    figure = utilisation([world["a"].pk], date(2030, 1, 1), date(2030, 1, 31))[world["a"].pk]

    assert (figure.used, figure.granted, figure.ratio) == (Decimal(0), Decimal(0), None)
