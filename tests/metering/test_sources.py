"""The usage sources: chosen by USAGE_SOURCE (checked at start-up), the modelled cloud's profiles,
and a Prometheus that does not answer."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from metering.models import UsageRecord
from metering.selectors import units_per_day
from metering.services import usage_collect
from metering.sources import UsageUnavailable, source_class, usage_source
from metering.sources.modelled import ModelledCloudSource, Profile, modelled_use, profile_of, share_of_day
from metering.sources.prometheus import PrometheusSource
from tests.metering.conftest import award
from tests.processes import free_port

START = date(2031, 1, 1)


def test_the_source_is_named_by_the_setting(settings):
    assert isinstance(usage_source(), ModelledCloudSource)
    settings.USAGE_SOURCE = "prometheus"
    settings.PROMETHEUS_URL = "http://prometheus.example:9090"
    assert isinstance(usage_source(), PrometheusSource)
    assert source_class("metering.sources.modelled.ModelledCloudSource") is ModelledCloudSource


def test_a_setting_that_names_no_source_stops_start_up(settings):
    settings.USAGE_SOURCE = "prometheos"
    with pytest.raises(ImproperlyConfigured, match="USAGE_SOURCE='prometheos'"):
        apps.get_app_config("metering").ready()
    settings.USAGE_SOURCE = "pool.models.Offering"  # a class, but no source
    with pytest.raises(ImproperlyConfigured):
        apps.get_app_config("metering").ready()


def test_each_profile_has_its_shape_and_never_exceeds_the_grant():
    days = [START + timedelta(days=n) for n in range(90)]
    by_profile: dict[Profile, list[int]] = {}
    for allocation_id in range(1, 401):
        by_profile.setdefault(profile_of(allocation_id), []).append(allocation_id)
        for unit, quantity in (("gpu", 8), ("core", 64), ("tb", 10), ("seat", 5)):
            for day in days[::7]:
                used = modelled_use(allocation_id, unit, quantity, START, day)
                assert 0 <= used <= units_per_day(unit, quantity)

    assert {profile: len(ids) > 40 for profile, ids in by_profile.items()} == dict.fromkeys(Profile, True)
    busy, idle, ramping = by_profile[Profile.BUSY][0], by_profile[Profile.IDLE][0], by_profile[Profile.RAMPING_UP][0]
    assert min(share_of_day(busy, START, day) for day in days) >= 0.7
    assert all(share_of_day(idle, START, day) == 0 for day in days[5:])
    assert share_of_day(ramping, START, days[0]) < 0.1 < 0.75 < share_of_day(ramping, START, days[70])
    bursty = by_profile[Profile.BURSTY][0]
    weekly = [sum(share_of_day(bursty, START, day) for day in days[week * 7 : week * 7 + 7]) for week in range(12)]
    assert max(weekly) > 5 and min(weekly) < 1
    # The same figures in every run: collecting a day again changes nothing.
    assert modelled_use(busy, "gpu", 8, START, days[3]) == modelled_use(busy, "gpu", 8, START, days[3])
    assert modelled_use(busy, "seat", 5, START, days[3]) == modelled_use(busy, "seat", 5, START, days[3]).to_integral()


@pytest.mark.django_db
def test_a_prometheus_that_does_not_answer_leaves_the_day_uncollected(gpu, today):
    award(gpu, 1, today - timedelta(days=5), today + timedelta(days=5))
    source = PrometheusSource(url=f"http://127.0.0.1:{free_port()}", timeout=2)

    with pytest.raises(UsageUnavailable):
        usage_collect(day=today - timedelta(days=1), source=source)

    assert not UsageRecord.objects.exists()


@pytest.mark.django_db
def test_a_prometheus_without_any_gpu_series_leaves_the_day_uncollected(gpu, today, monkeypatch):
    """An answer with no series at all (the exporter down, the label missing) is not "nothing
    used": recording 0 for every GPU allocation would make them all reclaim candidates."""
    award(gpu, 1, today - timedelta(days=5), today + timedelta(days=5))
    source = PrometheusSource(url="http://prometheus.example:9090")
    monkeypatch.setattr(source, "query", lambda expression, at: [])

    with pytest.raises(UsageUnavailable):
        usage_collect(day=today - timedelta(days=1), source=source)

    assert not UsageRecord.objects.exists()


def test_the_prometheus_expression_sums_each_instant_of_the_window():
    source = PrometheusSource(url="http://prometheus.example:9090", step_seconds=60)

    assert source.expression(86_400) == (
        'sum_over_time((sum by (project) (DCGM_FI_DEV_GPU_UTIL{project!=""}))[86370000ms:60s])'
    )
