"""Offerings, capacity phases and the ledger moved to the ``pool`` app (pool/migrations/0001);
their tables, and the triggers written against them, do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("allocations", "0005_ledger_statement_trigger"),
        ("pool", "0001_initial"),
        ("applications", "0008_offerings_in_pool"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="allocation",
                    name="offering",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="allocations", to="pool.offering"
                    ),
                ),
                migrations.DeleteModel(name="CapacityLedger"),
                migrations.DeleteModel(name="CapacityPhase"),
                migrations.DeleteModel(name="Offering"),
            ],
        ),
    ]
