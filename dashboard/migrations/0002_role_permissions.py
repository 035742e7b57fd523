"""Once synced the staff roles' permissions by importing live code. Roles are now synced after
every ``migrate`` (``accounts.roles.sync_roles``, on ``post_migrate``), so this migration does
nothing; it stays so that the migration graph of existing databases is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_dashboard_permission"),
        ("allocations", "0004_role_permissions"),
        ("applications", "0005_role_permissions"),
    ]

    operations: list[migrations.operations.base.Operation] = []
