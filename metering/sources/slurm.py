"""GPU-hours (and core-hours) from Slurm's accounting: the jobs of each allocation's account.

The Slurm provisioner (``allocations.backends.slurm``) makes one account per allocation and
returns its name, the allocation's external reference. A day's use of an allocation is, over the
jobs charged to its account (``sacct -X``: whole allocations, not steps),

    unit-hours = Σ over jobs of (units the job was allocated) × (hours of the job inside the day)

where the units are the job's ``gres/gpu`` (GPU offerings) or ``cpu`` (CPU offerings) in its
allocated TRES, and a job still running counts until now. A job that crosses midnight is split
between the two days. Slurm keeps a removed account's jobs, so an ended allocation's last days
still read. An allocation whose account ran nothing that day used 0: Slurm's accounting
answering is what "nothing ran" means, unlike a metrics server that may have missed a scrape.
"""

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from allocations.backends.slurm import allocation_account
from allocations.models import Allocation
from metering.models import UsageSource
from metering.sources import UsageUnavailable, day_window
from pool.models import OfferingUnit

SECONDS_PER_HOUR = 3600
TRES = {OfferingUnit.GPU.value: "gres/gpu", OfferingUnit.CORE.value: "cpu"}
FORMAT = "account,alloctres,start,end"


def allocated(tres: str, resource: str) -> int:
    """How many of ``resource`` an ``AllocTRES`` string holds (``billing=1,cpu=1,gres/gpu=2,node=1``)."""
    for item in tres.split(","):
        name, _, count = item.partition("=")
        if name == resource:
            return int(count)
    return 0


def unit_seconds(output: str, window: tuple[float, float], now: float) -> dict[tuple[str, str], int]:
    """Per (account, resource), the resource-seconds of the jobs in ``sacct -n -P --format=<FORMAT>``
    output (times in epoch seconds) inside ``window`` (epoch seconds, half open)."""
    start, end = window
    totals: dict[tuple[str, str], int] = {}
    for line in output.splitlines():
        if not line.strip():
            continue
        account, tres, job_start, job_end = line.split("|")[:4]
        if not job_start.isdigit() or not tres:  # never started (pending, cancelled while queued)
            continue
        began = int(job_start)
        ended = int(job_end) if job_end.isdigit() else int(now)  # still running
        seconds = max(0, min(ended, end) - max(began, start))
        if not seconds:
            continue
        for resource in set(TRES.values()):
            if count := allocated(tres, resource):
                key = (account.lower(), resource)
                totals[key] = totals.get(key, 0) + count * int(seconds)
    return totals


class SlurmSource:
    """GPU and CPU allocations' unit-hours from ``sacct`` (see the module's docstring).

    ``window`` maps a day to the interval of time it stands for (the portal's day by default; a
    test gives a few seconds instead, with the same reckoning)."""

    source = UsageSource.SLURM

    def __init__(
        self,
        *,
        sacct: str | None = None,
        cluster: str | None = None,
        window: Callable[[date], tuple[datetime, datetime]] = day_window,
        timeout: float | None = None,
    ):
        self.sacct = sacct or settings.SLURM_SACCT
        self.cluster = cluster or settings.SLURM_CLUSTER
        self.window = window
        self.timeout = timeout or settings.SLURM_TIMEOUT_SECONDS

    def collect(self, day: date, allocations: Sequence[Allocation]) -> dict[int, Decimal]:
        measured = [a for a in allocations if a.offering.unit in TRES and a.external_ref]
        if not measured:
            return {}
        start, end = self.window(day)
        # The accounts named after the allocations, never their ``external_ref`` (free text).
        names = {allocation.pk: allocation_account(allocation).lower() for allocation in measured}
        accounts = sorted(set(names.values()))
        totals = unit_seconds(self.jobs(accounts, start, end), (start.timestamp(), end.timestamp()), time.time())
        return {
            allocation.pk: Decimal(totals.get((names[allocation.pk], TRES[allocation.offering.unit]), 0))
            / SECONDS_PER_HOUR
            for allocation in measured
        }

    def jobs(self, accounts: list[str], start: datetime, end: datetime) -> str:
        """sacct's lines for the jobs of ``accounts`` that ran in [start, end); ``UsageUnavailable``
        when Slurm does not answer."""
        zone = ZoneInfo(settings.TIME_ZONE)
        # sacct reads and prints times in the zone of TZ; SLURM_TIME_FORMAT=%s prints epoch seconds.
        env = {**os.environ, "TZ": settings.TIME_ZONE, "SLURM_TIME_FORMAT": "%s"}
        command = [
            self.sacct,
            "--allusers",
            "--allocations",
            "--noheader",
            "--parsable2",
            f"--clusters={self.cluster}",
            f"--accounts={','.join(accounts)}",
            f"--starttime={start.astimezone(zone):%Y-%m-%dT%H:%M:%S}",
            f"--endtime={end.astimezone(zone):%Y-%m-%dT%H:%M:%S}",
            f"--format={FORMAT}",
        ]
        try:
            result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=self.timeout, check=False)
        except (subprocess.TimeoutExpired, OSError) as error:
            raise UsageUnavailable(f"{self.sacct}: {error}") from error
        if result.returncode != 0:
            raise UsageUnavailable(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()[:500]}")
        return result.stdout
