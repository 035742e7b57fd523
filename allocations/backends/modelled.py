"""The data center's cloud modelled in the portal's own database: one quota record per allocation."""

from django.utils import timezone

from allocations.models import Allocation, ProvisionedResource


class ModelledCloudProvisioner:
    """One ``ProvisionedResource`` per allocation, written in the engine's transaction, so a
    crash rolls the quota back with the activation, and provisioning is idempotent."""

    shares_portal_database = True

    def provision(self, allocation: Allocation) -> str:
        return self.provision_many([allocation])[allocation.pk]

    def provision_many(self, allocations: list[Allocation]) -> dict[int, str]:
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
