"""Offerings moved to the ``pool`` app (pool/migrations/0001): the foreign keys follow them. The
tables and columns do not change."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_ranking_index"),
        ("pool", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="calloffering",
                    name="offering",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="call_offerings", to="pool.offering"
                    ),
                ),
                migrations.AlterField(
                    model_name="applicationitem",
                    name="offering",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="pool.offering"
                    ),
                ),
                migrations.AlterField(
                    model_name="call",
                    name="offerings",
                    field=models.ManyToManyField(
                        related_name="calls",
                        through="applications.CallOffering",
                        to="pool.offering",
                        verbose_name="offerings",
                    ),
                ),
            ],
        ),
    ]
