from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from metering.services import MeteringError, usage_collect_range
from metering.sources import UsageUnavailable


class Command(BaseCommand):
    help = (
        "Collect the usage of every allocation in service on each day from --from to --to (inclusive; "
        "default: yesterday) from the configured source (USAGE_SOURCE). A day collected again replaces "
        "its figures; each day is one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=date.fromisoformat, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="last", type=date.fromisoformat, help="last day, YYYY-MM-DD")

    def handle(self, *args, first=None, last=None, **options):
        yesterday = timezone.localdate() - timedelta(days=1)
        last = last or yesterday
        first = first or last
        if first > last:
            raise CommandError("--from is after --to.")
        try:
            written = usage_collect_range(first=first, last=last)
        except (MeteringError, UsageUnavailable) as error:
            raise CommandError(str(error)) from error
        for day, records in written.items():
            self.stdout.write(f"{day}: {records} records")
        self.stdout.write(self.style.SUCCESS(f"Collected {len(written)} day(s), {sum(written.values())} records."))
