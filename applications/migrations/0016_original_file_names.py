"""The original names of the certificate's and the evidence's files (sanitised,
``uploads.original_name``): shown on the form and used as the download's name.

Added with ``ALTER TABLE … ADD COLUMN … NOT NULL DEFAULT ''`` on both databases: Django would
rebuild SQLite's application table for a NOT NULL column, and the rebuild breaks the rank
triggers of 0013/0015 that name it. Files kept before this migration have no name ('') and are
shown under a made-up one (``Application.certificate_display_name``).
"""

from django.db import migrations, models

COLUMNS = [
    ("applications_application", "business_certificate_name"),
    ("applications_priorityclaim", "evidence_name"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0015_application_merit_ranking"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="application",
                    name="business_certificate_name",
                    field=models.CharField(
                        blank=True,
                        editable=False,
                        max_length=255,
                        verbose_name="business registration certificate's file name",
                    ),
                ),
                migrations.AddField(
                    model_name="priorityclaim",
                    name="evidence_name",
                    field=models.CharField(
                        blank=True, editable=False, max_length=255, verbose_name="evidence's file name"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {table} ADD COLUMN {column} varchar(255) NOT NULL DEFAULT ''",
                    f"ALTER TABLE {table} DROP COLUMN {column}",
                    elidable=False,
                )
                for table, column in COLUMNS
            ],
        ),
    ]
