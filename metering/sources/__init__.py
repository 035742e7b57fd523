"""Usage sources: where the units each allocation used on a day come from.

A source is a class with a ``source`` (its ``UsageSource`` value, stored on each record) and
``collect(day, allocations) -> {allocation id: used}``: for the allocations it is given (those in
service that day, their offerings selected), the units each used that day, in the offering's
measure (GPU-hours, core-hours, TB held, seats used; ``metering.selectors`` explains them). An
allocation the source measures but saw nothing of is reported with 0; one it does not measure
(a Prometheus of GPU metrics asked about storage) is left out, and gets no record. A source raises
``UsageUnavailable`` when it cannot answer now (a server down, a timeout): the collection is
retried, and nothing of the day is written meanwhile.

``settings.USAGE_SOURCE`` names the source: ``modelled`` (the modelled cloud's own figures, the
default), ``prometheus`` (NVIDIA DCGM metrics through Prometheus's HTTP API), ``slurm`` (the jobs
in Slurm's accounting, ``sacct``), or a dotted path to a source class. Checked when the apps
load (metering/apps.py), like the provisioner.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.module_loading import import_string

from allocations.models import Allocation
from metering.models import UsageSource

SOURCES = {
    UsageSource.MODELLED.value: "metering.sources.modelled.ModelledCloudSource",
    UsageSource.PROMETHEUS.value: "metering.sources.prometheus.PrometheusSource",
    UsageSource.SLURM.value: "metering.sources.slurm.SlurmSource",
}


class UsageUnavailable(Exception):
    """The source could not answer now (a server down, a timeout, an error answer): retry later."""


class Source(Protocol):
    source: str

    def collect(self, day: date, allocations: Sequence[Allocation]) -> dict[int, Decimal]: ...


def day_window(day: date) -> tuple[datetime, datetime]:
    """The day as a half-open interval of time in the portal's time zone: [00:00, next 00:00)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def source_class(name: str) -> type:
    """The source class a name (``modelled``, ``prometheus``) or a dotted path names;
    ``ImportError`` if there is none."""
    backend = import_string(SOURCES.get(name, name))
    if not isinstance(backend, type) or not callable(getattr(backend, "collect", None)):
        raise ImportError(f"{name} is not a usage source class (it needs collect)")
    if getattr(backend, "source", None) not in UsageSource.values:
        raise ImportError(f"{name}.source must be one of {', '.join(UsageSource.values)}")
    return backend


def usage_source() -> Source:
    """The configured source."""
    backend: Source = source_class(settings.USAGE_SOURCE)()
    return backend
