"""Provisioner backends: what turns an allocation into a quota in the data center's cloud.

A backend implements ``provision`` (returns the external reference of the quota it created)
and ``deprovision`` (and ``resize``, if its quotas carry the quantity: called after a
supplement). All must be idempotent on the allocation: the engine may call them again after a
crash, a retry or a sweep, and must end with exactly one quota. A real backend would set an
OpenStack project quota, a Kubernetes ResourceQuota or a Slurm QOS/association limit, using the
allocation's id as the idempotency key. ``settings.PROVISIONER_BACKEND`` names it.
"""

import logging
import time
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from allocations.models import Allocation, ProvisionedResource

logger = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """The backend refused for good (bad request, quota not possible): do not retry."""


class TransientProvisioningError(ProvisioningError):
    """The backend could not answer now (timeout, 503): retry later."""


class Provisioner(Protocol):
    # True for a backend whose quotas live in the portal's own database: the engine then claims,
    # provisions and activates in one transaction, which a crash rolls back whole. A backend in
    # another system (OpenStack, Kubernetes, Slurm) leaves it False: its call cannot be rolled
    # back, so the engine commits the claim before calling it and activates afterwards.
    shares_portal_database: bool = False

    def provision(self, allocation: Allocation) -> str: ...

    def deprovision(self, allocation: Allocation) -> None: ...

    # Optional, for a backend that ``shares_portal_database``: ``provision`` for many allocations
    # at once, in the caller's transaction, returning {allocation id: external reference}; any
    # error raised leaves them all to be provisioned one by one.
    # def provision_many(self, allocations: list[Allocation]) -> dict[int, str]: ...


class ModelledCloudProvisioner:
    """The data center's cloud modelled in the database: one ``ProvisionedResource`` per allocation.

    For tests and demonstrations it can be slow (``PROVISIONER_DELAY_SECONDS``), fail
    transiently for the first N attempts of each allocation (``PROVISIONER_TRANSIENT_FAILURES``)
    or fail for good (``PROVISIONER_ALWAYS_FAIL``).
    """

    shares_portal_database = True

    def provision(self, allocation: Allocation) -> str:
        return self.provision_many([allocation])[allocation.pk]

    def provision_many(self, allocations: list[Allocation]) -> dict[int, str]:
        for allocation in allocations:
            delay = getattr(settings, "PROVISIONER_DELAY_SECONDS", 0)
            if delay:
                logger.info("modelled cloud: provisioning allocation %s takes %s s", allocation.pk, delay)
                time.sleep(delay)
            if getattr(settings, "PROVISIONER_ALWAYS_FAIL", False):
                raise ProvisioningError("the modelled cloud refuses this quota (PROVISIONER_ALWAYS_FAIL)")
            if allocation.attempts <= getattr(settings, "PROVISIONER_TRANSIENT_FAILURES", 0):
                raise TransientProvisioningError(f"the modelled cloud is unavailable (attempt {allocation.attempts})")
        references = {allocation.pk: f"nai-dc/quota/{allocation.pk}" for allocation in allocations}
        # One quota per allocation: a row made by an earlier or concurrent run is left as it is.
        ProvisionedResource.objects.bulk_create(
            [
                ProvisionedResource(
                    allocation_id=allocation.pk,
                    external_ref=references[allocation.pk],
                    offering_name=allocation.offering.name,
                    quantity=allocation.quantity,
                )
                for allocation in allocations
            ],
            ignore_conflicts=True,
        )
        return references

    def resize(self, allocation: Allocation) -> None:
        """Set the quota to the allocation's quantity (after a supplement). Idempotent."""
        ProvisionedResource.objects.filter(allocation_id=allocation.pk, deprovisioned_at__isnull=True).update(
            quantity=allocation.quantity
        )

    def deprovision(self, allocation: Allocation) -> None:
        ProvisionedResource.objects.filter(allocation_id=allocation.pk, deprovisioned_at__isnull=True).update(
            deprovisioned_at=timezone.now()
        )


def provisioner() -> Provisioner:
    return import_string(settings.PROVISIONER_BACKEND)()
