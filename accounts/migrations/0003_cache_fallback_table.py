"""The table the shared cache falls back to while Redis does not answer (portal/cache.py).

Created whatever CACHE_URL says now, so that a deployment that moves to Redis later has it.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

from portal.cache import FALLBACK_TABLE


def create_table(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, FALLBACK_TABLE, dry_run=False)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(FALLBACK_TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_staff_groups")]

    operations = [migrations.RunPython(create_table, drop_table, elidable=False)]
