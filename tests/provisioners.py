"""Provisioner backends with injected faults, for tests only (production settings know nothing
of them): the modelled cloud made slow, failing for a while, or refusing for good."""

import logging
import os
import time

from allocations.backends import ProvisioningError, TransientProvisioningError
from allocations.backends.modelled import ModelledCloudProvisioner
from allocations.backends.slurm import SlurmProvisioner
from allocations.models import Allocation

logger = logging.getLogger(__name__)


def _from_environment(name: str) -> int:
    return int(os.environ.get(name, "0") or 0)


class FaultyCloud(ModelledCloudProvisioner):
    """The modelled cloud with faults: each allocation takes ``delay_ms``; the first
    ``transient_failures`` attempts of each allocation fail transiently; with ``always_fail``
    every allocation is refused for good.

    In-process tests set the class attributes (the ``faulty_cloud`` fixture resets them); a
    Celery worker that a test starts reads them from its environment (``FAULTY_CLOUD_DELAY_MS``,
    ``FAULTY_CLOUD_TRANSIENT_FAILURES``, ``FAULTY_CLOUD_ALWAYS_FAIL``) when they are unset.
    """

    delay_ms: int | None = None
    transient_failures: int | None = None
    always_fail: bool | None = None

    def _knob(self, name: str) -> int:
        value = getattr(self, name)
        return int(value) if value is not None else _from_environment(f"FAULTY_CLOUD_{name.upper()}")

    def provision_many(self, allocations: list[Allocation]) -> dict[int, str]:
        for allocation in allocations:
            if delay := self._knob("delay_ms"):
                logger.info("faulty cloud: provisioning allocation %s takes %s ms", allocation.pk, delay)
                time.sleep(delay / 1000)
            if self._knob("always_fail"):
                raise ProvisioningError("the faulty cloud refuses this quota")
            if allocation.attempts <= self._knob("transient_failures"):
                raise TransientProvisioningError(f"the faulty cloud is unavailable (attempt {allocation.attempts})")
        return super().provision_many(allocations)

    @classmethod
    def reset(cls) -> None:
        cls.delay_ms = cls.transient_failures = cls.always_fail = None


class SlurmThenStall(SlurmProvisioner):
    """The Slurm backend that makes the account, logs it, and then stalls before returning: a
    worker killed there has made the account but not activated the allocation."""

    def provision(self, allocation: Allocation) -> str:
        account = super().provision(allocation)
        logger.info("slurm account made for allocation %s", allocation.pk)
        time.sleep(600)
        return account
