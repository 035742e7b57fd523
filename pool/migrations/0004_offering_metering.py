# The offering's metering (issue #19). Written by hand: SQLite cannot add a NOT NULL column with a
# CHECK by ALTER TABLE, so Django would rebuild allocations_offering, and the rebuild's rename fails
# on the triggers of applications/0013 that name the table. Both databases add the column in place
# instead (SQLite: a column CHECK; PostgreSQL: the named table constraint the model declares); the
# state is the model's.

from django.db import migrations, models

SQLITE = """
ALTER TABLE allocations_offering ADD COLUMN metering varchar(10) NOT NULL DEFAULT 'reserved'
    CONSTRAINT offering_metering_valid CHECK (metering IN ('reserved', 'metered'));
"""

POSTGRESQL = """
ALTER TABLE allocations_offering ADD COLUMN metering varchar(10) NOT NULL DEFAULT 'reserved';
ALTER TABLE allocations_offering ALTER COLUMN metering DROP DEFAULT;
ALTER TABLE allocations_offering ADD CONSTRAINT offering_metering_valid CHECK (metering IN ('reserved', 'metered'));
"""

REVERSE = "ALTER TABLE allocations_offering DROP COLUMN metering;"


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE)
    else:
        for statement in POSTGRESQL.strip().split(";\n"):
            schema_editor.execute(statement.rstrip(";"))


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE allocations_offering DROP CONSTRAINT offering_metering_valid")
    schema_editor.execute(REVERSE.rstrip(";"))


class Migration(migrations.Migration):
    dependencies = [
        ("pool", "0003_field_verbose_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(add_column, drop_column)],
            state_operations=[
                migrations.AddField(
                    model_name="offering",
                    name="metering",
                    field=models.CharField(
                        choices=[("reserved", "Reserved for the period"), ("metered", "Metered against a budget")],
                        default="reserved",
                        help_text="Reserved: the units are held for the whole period. Metered: a budget of unit-hours to use.",
                        max_length=10,
                        verbose_name="metering",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="offering",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("metering__in", ["reserved", "metered"])), name="offering_metering_valid"
                    ),
                ),
            ],
        ),
    ]
