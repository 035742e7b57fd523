"""Once synced the staff roles' permissions by importing live code. Roles are now synced after
every ``migrate`` (``accounts.roles.sync_roles``, on ``post_migrate``), so this migration does
nothing; it stays so that the migration graph of existing databases is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("allocations", "0003_ledger_triggers"),
        ("applications", "0003_call_waitlist_auto_approve"),
    ]

    operations: list[migrations.operations.base.Operation] = []
