"""Once synced the staff roles' permissions by importing live code. Roles are now synced after
every ``migrate`` (``accounts.roles.sync_roles``, on ``post_migrate``), so this migration does
nothing; it stays so that the migration graph of existing databases is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("aftercare", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations: list[migrations.operations.base.Operation] = []
