"""The pool's models move here from the allocation engine's app; their tables stay as they are
(``db_table``), so this migration changes no table: it takes over the models' state and renames
their content types, so that permissions granted on them (and admin history) stay attached."""

import django.db.models.deletion
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("offering", "capacityphase", "capacityledger"):
        if not ContentType.objects.filter(app_label="pool", model=model).exists():
            ContentType.objects.filter(app_label="allocations", model=model).update(app_label="pool")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="pool", model__in=["offering", "capacityphase", "capacityledger"]).update(
        app_label="allocations"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("allocations", "0005_ledger_statement_trigger"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Offering",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("name", models.CharField(max_length=120, unique=True, verbose_name="name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("gpu", "GPU compute"),
                                    ("cpu", "CPU compute"),
                                    ("storage", "Storage"),
                                    ("ai_dev_env", "AI development environment"),
                                    ("data_lake", "Data lake"),
                                    ("saas", "SaaS"),
                                ],
                                max_length=20,
                                verbose_name="kind",
                            ),
                        ),
                        (
                            "unit",
                            models.CharField(
                                choices=[("gpu", "GPU"), ("core", "core"), ("tb", "TB"), ("seat", "seat")],
                                max_length=10,
                                verbose_name="unit",
                            ),
                        ),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        (
                            "unit_tflops",
                            models.DecimalField(
                                blank=True,
                                decimal_places=4,
                                help_text="Peak performance of one unit, for compute offerings (reported in PF).",
                                max_digits=10,
                                null=True,
                                verbose_name="TFLOPS per unit",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "offering",
                        "verbose_name_plural": "offerings",
                        "db_table": "allocations_offering",
                        "ordering": ["kind", "name"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("kind__in", ["gpu", "cpu", "storage", "ai_dev_env", "data_lake", "saas"])
                                ),
                                name="offering_kind_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("unit__in", ["gpu", "core", "tb", "seat"])),
                                name="offering_unit_valid",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="CapacityPhase",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("starts_on", models.DateField(verbose_name="from")),
                        ("units", models.PositiveIntegerField(verbose_name="units")),
                        (
                            "is_modelled",
                            models.BooleanField(
                                default=False,
                                help_text="A modelled figure between announced ones, not an announced one.",
                                verbose_name="modelled",
                            ),
                        ),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                        (
                            "offering",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="phases", to="pool.offering"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "capacity phase",
                        "verbose_name_plural": "capacity phases",
                        "db_table": "allocations_capacityphase",
                        "ordering": ["offering", "starts_on"],
                        "constraints": [
                            models.UniqueConstraint(fields=("offering", "starts_on"), name="capacity_phase_one_per_day")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="CapacityLedger",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("day", models.DateField()),
                        ("capacity", models.PositiveIntegerField()),
                        ("reserved", models.PositiveIntegerField(default=0)),
                        (
                            "offering",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="ledger", to="pool.offering"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "capacity ledger day",
                        "verbose_name_plural": "capacity ledger",
                        "db_table": "allocations_capacityledger",
                        "ordering": ["offering", "day"],
                        "constraints": [
                            models.UniqueConstraint(fields=("offering", "day"), name="capacity_ledger_one_per_day"),
                            models.CheckConstraint(
                                condition=models.Q(("reserved__lte", models.F("capacity"))),
                                name="capacity_ledger_not_overcommitted",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("reserved__gte", 0)), name="capacity_ledger_reserved_not_negative"
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
