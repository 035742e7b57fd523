"""GPU-hours from Prometheus: NVIDIA's DCGM exporter metrics, read through Prometheus's HTTP API.

The DCGM exporter publishes, per GPU, its utilisation in percent (``DCGM_FI_DEV_GPU_UTIL``, a
gauge from 0 to 100). The data center labels each GPU's series with the project the provisioner
made for the allocation: the label ``PROMETHEUS_PROJECT_LABEL`` (default ``project``) holds the
allocation's external reference, what the provisioner returned (the modelled cloud's is
``nai-dc/quota/<allocation id>``, ``ProvisionedResource.external_ref``).

GPU-hours of a project over a window [start, end) — a day in the portal's time zone — are

    GPU-hours = Σ over the project's GPUs of (mean utilisation / 100) × hours of the window

where a GPU's mean is taken over the instants start, start + s, …, end − s (s =
``PROMETHEUS_STEP_SECONDS``), and a GPU without a sample at an instant (none in Prometheus's
5-minute look-back, or marked stale) counts 0 there. Equivalently, and as it is computed:

    GPU-hours = (s / 3600) × Σ over instants t of Σ over GPUs of util(t) / 100

in one instant query evaluated at end − s, a subquery summing the project's utilisation at each
instant (instants aligned to multiples of s, so the window's start must be one):

    sum_over_time((sum by (project) (DCGM_FI_DEV_GPU_UTIL{project!=""}))[<window − s/2>:<s>])

The range is half a step short of the window so that exactly the window's instants fall in it,
whether the Prometheus version closes ranges on the left (2.x) or not (3.x). One answer per
project, whatever the number of samples. Only GPU allocations are measured; a GPU allocation
with no series that day used 0 GPU-hours.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings

from allocations.models import Allocation
from metering.models import UsageSource
from metering.sources import UsageUnavailable, day_window
from pool.models import OfferingUnit

SECONDS_PER_HOUR = 3600


class PrometheusSource:
    """GPU allocations' GPU-hours from DCGM utilisation (see the module's docstring).

    ``window`` maps a day to the interval of time it stands for (the portal's day by default; a
    test gives a few seconds instead, with the same formula)."""

    source = UsageSource.PROMETHEUS

    def __init__(
        self,
        *,
        url: str | None = None,
        window: Callable[[date], tuple[datetime, datetime]] = day_window,
        step_seconds: int | None = None,
        label: str | None = None,
        metric: str | None = None,
        timeout: float | None = None,
        token: str | None = None,
    ):
        self.url = (url or settings.PROMETHEUS_URL).rstrip("/")
        self.window = window
        self.step = step_seconds or settings.PROMETHEUS_STEP_SECONDS
        self.label = label or settings.PROMETHEUS_PROJECT_LABEL
        self.metric = metric or settings.PROMETHEUS_GPU_METRIC
        self.timeout = timeout or settings.PROMETHEUS_TIMEOUT_SECONDS
        self.token = token if token is not None else settings.PROMETHEUS_BEARER_TOKEN

    def collect(self, day: date, allocations: Sequence[Allocation]) -> dict[int, Decimal]:
        measured = [a for a in allocations if a.offering.unit == OfferingUnit.GPU and a.external_ref]
        if not measured:
            return {}
        start, end = self.window(day)
        per_project = self.gpu_hours(start, end)
        if not per_project:
            # Not one GPU series labelled with a project over the whole day: the exporter or the
            # scrape was down, or the label is missing. That is not "nothing used" (an idle GPU
            # reports 0): the day stays uncollected and is tried again, instead of every GPU
            # allocation recording 0 and turning into a reclaim candidate.
            raise UsageUnavailable(
                f"Prometheus at {self.url} has no {self.metric} series with a {self.label} label for {day}"
            )
        return {allocation.pk: per_project.get(allocation.external_ref, Decimal(0)) for allocation in measured}

    def expression(self, window_seconds: float) -> str:
        step_ms = self.step * 1000
        range_ms = round(window_seconds * 1000) - step_ms // 2
        selector = f'{self.metric}{{{self.label}!=""}}'
        return f"sum_over_time((sum by ({self.label}) ({selector}))[{range_ms}ms:{self.step}s])"

    def gpu_hours(self, start: datetime, end: datetime) -> dict[str, Decimal]:
        """GPU-hours per project label value over [start, end)."""
        window = (end - start).total_seconds()
        if window <= 0 or window % self.step or start.timestamp() % self.step:
            raise ValueError(f"the window {start}–{end} is not a whole number of {self.step} s steps from a step")
        result = self.query(self.expression(window), at=end.timestamp() - self.step)
        hours: dict[str, Decimal] = {}
        for series in result:
            project = series.get("metric", {}).get(self.label)
            try:
                total = Decimal(series["value"][1])
            except (KeyError, IndexError, InvalidOperation) as error:
                raise UsageUnavailable(f"Prometheus answered a series without a value: {series!r}") from error
            if project and total.is_finite():
                hours[project] = total / 100 * self.step / SECONDS_PER_HOUR
        return hours

    def query(self, expression: str, *, at: float) -> list[dict]:
        """An instant query's result vector; ``UsageUnavailable`` on any failure."""
        address = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expression, "time": f"{at:.3f}"})
        request = urllib.request.Request(address, headers={"Accept": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            raise UsageUnavailable(f"Prometheus at {self.url} answered {error.code}: {error.read()[:300]!r}") from error
        except (OSError, ValueError) as error:
            raise UsageUnavailable(f"Prometheus at {self.url} did not answer: {error}") from error
        if answer.get("status") != "success" or answer.get("data", {}).get("resultType") != "vector":
            raise UsageUnavailable(f"Prometheus at {self.url} refused the query: {answer.get('error', answer)!r}")
        result: list[dict] = answer["data"]["result"]
        return result
