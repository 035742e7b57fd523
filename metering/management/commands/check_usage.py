from django.core.management.base import BaseCommand, CommandError

from metering.selectors import usage_total_drift


class Command(BaseCommand):
    help = (
        "Recompute the usage totals kept at ingestion (per offering and day; per allocation, with its "
        "latest days) from the usage records and report any that differ. Exits with status 1 when any "
        "does. Changes nothing."
    )

    def handle(self, *args, **options):
        drift = usage_total_drift()
        for row in drift:
            self.stderr.write(
                f"{row.table} {row.key[0]}{f' {row.key[1]}' if row.key[1] else ''}: kept {row.kept}, "
                f"records give {row.recomputed}"
            )
        if drift:
            raise CommandError(f"{len(drift)} usage total(s) differ from the records.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Usage totals equal the sums of the usage records."))
