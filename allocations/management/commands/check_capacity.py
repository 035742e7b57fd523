from django.core.management.base import BaseCommand, CommandError

from allocations.ledger import ledger_drift
from allocations.usage import usage_drift
from pool.models import Offering


class Command(BaseCommand):
    help = (
        "Recompute every capacity ledger day from the allocations and phases, and every usage change "
        "the dashboard reads from the allocations, and report any drift or over-commitment. Exits "
        "with status 1 when there is any. Changes nothing."
    )

    def handle(self, *args, **options):
        drift = ledger_drift()
        usage = usage_drift()
        names = dict(Offering.objects.values_list("pk", "name"))
        for row in drift:
            self.stderr.write(
                f"{names.get(row.offering_id, row.offering_id)} {row.day}: ledger reserved {row.ledger_reserved}, "
                f"allocations hold {row.allocations_hold}; ledger capacity {row.ledger_capacity}, "
                f"phases give {row.phase_capacity}" + (" — OVER-COMMITTED" if row.overcommitted else "")
            )
        for change in usage:
            self.stderr.write(
                f"{names.get(change.offering_id, change.offering_id)} {change.day}: usage change kept "
                f"{change.kept[0]:+} in service, {change.kept[1]:+} being provisioned; allocations give "
                f"{change.recomputed[0]:+}, {change.recomputed[1]:+}"
            )
        if drift or usage:
            raise CommandError(
                f"{len(drift)} ledger day(s) drifted or over-committed, {len(usage)} usage change(s) drifted.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("Capacity ledger and usage changes are exact; nothing is over-committed."))
