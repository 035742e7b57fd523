from django.core.management.commands.flush import Command as DjangoFlush
from django.db import transaction

from allocations.models import HOLDING_STATES, Allocation


class Command(DjangoFlush):
    """Django's flush, releasing held capacity first when it runs without asking.

    Flush empties tables one DELETE at a time in no fixed order. If the capacity phases go
    before the allocations, the ledger trigger lowers capacity under allocations that still
    hold it and the ledger's CHECK refuses (SQLite; PostgreSQL truncates without row triggers).
    Releasing held capacity first lets the tables empty in any order. The test runner flushes
    this way after every transactional test.
    """

    def handle(self, **options):
        if not options["interactive"]:
            with transaction.atomic(using=options["database"]):
                Allocation.objects.using(options["database"]).filter(state__in=HOLDING_STATES).update(
                    state=Allocation.State.REVOKED
                )
        return super().handle(**options)
