"""Provisioner backends: what turns an allocation into a quota in the data center.

A backend implements ``provision`` (returns the external reference of the quota it created)
and ``deprovision`` (and ``resize``, if its quotas carry the quantity: called after a
supplement). All must be idempotent on the allocation: the engine may call them again after a
crash, a retry or a sweep, and must end with exactly one quota. A real backend sets an
OpenStack project quota, a Kubernetes ResourceQuota or a Slurm association limit, using the
allocation's id as the idempotency key. ``settings.PROVISIONER_BACKEND`` names it (a dotted path,
checked at start-up); ``modelled.ModelledCloudProvisioner`` models the data center's cloud in
the portal's own database.
"""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from allocations.models import Allocation


class ProvisioningError(Exception):
    """The backend refused for good (bad request, quota not possible): do not retry."""


class TransientProvisioningError(ProvisioningError):
    """The backend could not answer now (timeout, 503): retry later."""


class Provisioner(Protocol):
    # True for a backend whose quotas live in the portal's own database: the engine then claims,
    # provisions and activates in one transaction, which a crash rolls back whole. A backend in
    # another system (OpenStack, Kubernetes, Slurm) leaves it False: its call cannot be rolled
    # back, so the engine commits the claim before calling it and activates afterwards.
    shares_portal_database: bool

    def provision(self, allocation: Allocation) -> str: ...

    def deprovision(self, allocation: Allocation) -> None: ...

    # Optional, for a backend that ``shares_portal_database``: ``provision`` for many allocations
    # at once, in the caller's transaction, returning {allocation id: external reference}; any
    # error raised leaves them all to be provisioned one by one.
    # def provision_many(self, allocations: list[Allocation]) -> dict[int, str]: ...
    # Optional: set the quota to the allocation's quantity (after a supplement). Idempotent.
    # def resize(self, allocation: Allocation) -> None: ...


def provisioner_class(path: str) -> type:
    """The backend class a dotted path names; ``ImportError`` if there is none."""
    backend = import_string(path)
    if not isinstance(backend, type) or not callable(getattr(backend, "provision", None)):
        raise ImportError(f"{path} is not a provisioner class (it needs provision and deprovision)")
    return backend


def provisioner() -> Provisioner:
    backend: Provisioner = provisioner_class(settings.PROVISIONER_BACKEND)()
    return backend
