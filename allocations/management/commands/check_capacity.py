from django.core.management.base import BaseCommand, CommandError

from allocations.ledger import ledger_drift
from pool.models import Offering


class Command(BaseCommand):
    help = (
        "Recompute every capacity ledger day from the allocations and phases and report any drift "
        "or over-commitment. Exits with status 1 when there is any. Changes nothing."
    )

    def handle(self, *args, **options):
        drift = ledger_drift()
        names = dict(Offering.objects.values_list("pk", "name"))
        for row in drift:
            self.stderr.write(
                f"{names.get(row.offering_id, row.offering_id)} {row.day}: ledger reserved {row.ledger_reserved}, "
                f"allocations hold {row.allocations_hold}; ledger capacity {row.ledger_capacity}, "
                f"phases give {row.phase_capacity}" + (" — OVER-COMMITTED" if row.overcommitted else "")
            )
        if drift:
            raise CommandError(f"{len(drift)} ledger day(s) drifted or over-committed.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Capacity ledger is exact; nothing is over-committed."))
