"""A provisioner that lives outside the portal and reports back: the data center's own
provisioning system (its cloud, its scheduler) polls the API's changes feed
(``GET /api/v1/staff/allocations/changes/``), creates the quota for each allocation it finds
provisioning, and reports the outcome (``POST /api/v1/staff/allocations/<id>/provisioning-report/``,
``allocations.services.provisioning.allocation_provisioning_report``).

The engine claims the allocation (pending -> provisioning) and leaves it there: the report is what
activates it or fails it. Nothing is sent from here, so there is nothing to retry: an allocation
whose report never comes stays provisioning, in the dashboard's provisioning backlog. A release
(revoked, expired) shows in the feed as well, and the provisioning system removes the quota.
"""

from allocations.models import Allocation


class ReportedProvisioner:
    shares_portal_database = False
    # The engine claims and waits: ``allocation_provisioning_report`` activates or fails.
    reports_back = True

    def provision(self, allocation: Allocation) -> str:
        return ""

    def deprovision(self, allocation: Allocation) -> None:
        """The provisioning system sees the release in the changes feed."""
