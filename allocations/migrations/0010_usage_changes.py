"""The dashboard's daily usage, kept by triggers like the capacity ledger (PostgreSQL and SQLite).

Per offering and day, ``UsageChange`` keeps how the units in service (active, expired, revoked
until the day before its revocation) and being provisioned (pending, provisioning) change that
day: +units on the first day an allocation counts, -units on the day after its last
(``allocations.usage.usage_span`` is the rule in Python). The operator's dashboard reads the
running sums of these rows, a bounded number whatever the number of allocations, instead of
summing the allocations at every request.

Any INSERT, UPDATE or DELETE of an allocation moves them in the same statement, from any process.
On PostgreSQL one statement-level trigger per event adds up what the statement's rows change per
(offering, day) (transition tables) and upserts those rows once, in (offering, day) order: the
engine's lock order (applications, allocation, the offering to create ledger days, the ledger
rows by (offering, day), then these rows by (offering, day)), since every engine transaction
changes allocations by one statement, after its ledger rows are locked. Changes that leave the
figures as they were (pending -> provisioning, an expiry, a new attempt) write nothing. An
activation moves the two days of its allocation, not every day of its period.

A revocation counts in the portal's time zone (``TIME_ZONE``, written into the triggers here):
PostgreSQL converts with the zone's rules; SQLite, which has none, with the zone's fixed offset
(refused for a zone whose offset changes, such as one with daylight saving time).
"""

import datetime
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

IN_SERVICE = "('active', 'expired', 'revoked')"
BEING_PROVISIONED = "('pending', 'provisioning')"


def _changes_sql(rows: str) -> str:
    """The net usage changes per (offering, day) of ``rows`` (allocation columns and ``sign``)."""
    return f"""
  WITH spans AS (
    SELECT offering_id, starts_on AS first_day,
           CASE WHEN state = 'revoked'
                THEN LEAST(ends_on, (state_changed_at AT TIME ZONE '{settings.TIME_ZONE}')::date - 1)
                ELSE ends_on END AS last_day,
           sign * CASE WHEN state IN {IN_SERVICE} THEN quantity ELSE 0 END AS in_service,
           sign * CASE WHEN state IN {BEING_PROVISIONED} THEN quantity ELSE 0 END AS being_provisioned
      FROM ({rows}) AS r
     WHERE state IN {IN_SERVICE} OR state IN {BEING_PROVISIONED}
  ), moves AS (
    SELECT offering_id, first_day AS day, in_service, being_provisioned FROM spans WHERE first_day <= last_day
    UNION ALL
    SELECT offering_id, last_day + 1, -in_service, -being_provisioned FROM spans WHERE first_day <= last_day
  )
  INSERT INTO allocations_usagechange AS u (offering_id, day, in_service, being_provisioned)
  SELECT offering_id, day, SUM(in_service), SUM(being_provisioned) FROM moves
   GROUP BY offering_id, day
  HAVING SUM(in_service) <> 0 OR SUM(being_provisioned) <> 0
   ORDER BY offering_id, day
  ON CONFLICT (offering_id, day) DO UPDATE
     SET in_service = u.in_service + EXCLUDED.in_service,
         being_provisioned = u.being_provisioned + EXCLUDED.being_provisioned;"""


_COLUMNS = "offering_id, state, quantity, starts_on, ends_on, state_changed_at"


def postgresql() -> str:
    return f"""
CREATE FUNCTION allocations_usage_follow_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_changes_sql(f"SELECT {_COLUMNS}, 1 AS sign FROM inserted_allocations")}
  ELSIF TG_OP = 'DELETE' THEN
    {_changes_sql(f"SELECT {_COLUMNS}, -1 AS sign FROM deleted_allocations")}
  ELSE
    {
        _changes_sql(
            f"SELECT {_COLUMNS}, 1 AS sign FROM updated_allocations "
            f"UNION ALL SELECT {_COLUMNS}, -1 AS sign FROM replaced_allocations"
        )
    }
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER allocations_usage_follow_inserted_allocations
AFTER INSERT ON allocations_allocation
REFERENCING NEW TABLE AS inserted_allocations
FOR EACH STATEMENT EXECUTE FUNCTION allocations_usage_follow_allocations();

CREATE TRIGGER allocations_usage_follow_updated_allocations
AFTER UPDATE ON allocations_allocation
REFERENCING OLD TABLE AS replaced_allocations NEW TABLE AS updated_allocations
FOR EACH STATEMENT EXECUTE FUNCTION allocations_usage_follow_allocations();

CREATE TRIGGER allocations_usage_follow_deleted_allocations
AFTER DELETE ON allocations_allocation
REFERENCING OLD TABLE AS deleted_allocations
FOR EACH STATEMENT EXECUTE FUNCTION allocations_usage_follow_allocations();
"""


POSTGRESQL_REVERSE = """
DROP TRIGGER allocations_usage_follow_deleted_allocations ON allocations_allocation;
DROP TRIGGER allocations_usage_follow_updated_allocations ON allocations_allocation;
DROP TRIGGER allocations_usage_follow_inserted_allocations ON allocations_allocation;
DROP FUNCTION allocations_usage_follow_allocations();
"""


def _fixed_offset_minutes() -> int:
    zone = ZoneInfo(settings.TIME_ZONE)
    offsets = {
        datetime.datetime(year, month, 1, 12, tzinfo=zone).utcoffset()
        for year in range(2000, 2101, 5)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        raise NotImplementedError(
            f"The usage triggers on SQLite need a time zone with a fixed offset; {settings.TIME_ZONE} has several."
        )
    return int(offsets.pop().total_seconds() // 60)


def _sqlite_moves(row: str, sign: int) -> str:
    """The statements that add (sign 1) or take off (sign -1) one allocation row's span."""
    revoked_on = f"date({row}.state_changed_at, '{_fixed_offset_minutes():+d} minutes')"
    last = (
        f"(CASE WHEN {row}.state = 'revoked' THEN min({row}.ends_on, date({revoked_on}, '-1 day')) "
        f"ELSE {row}.ends_on END)"
    )
    counts = f"({row}.state IN {IN_SERVICE} OR {row}.state IN {BEING_PROVISIONED}) AND {row}.starts_on <= {last}"
    in_service = f"(CASE WHEN {row}.state IN {IN_SERVICE} THEN {row}.quantity ELSE 0 END)"
    being_provisioned = f"(CASE WHEN {row}.state IN {BEING_PROVISIONED} THEN {row}.quantity ELSE 0 END)"
    statements = []
    for day, day_sign in ((f"{row}.starts_on", sign), (f"date({last}, '+1 day')", -sign)):
        statements += [
            f"""INSERT OR IGNORE INTO allocations_usagechange (offering_id, day, in_service, being_provisioned)
  SELECT {row}.offering_id, {day}, 0, 0 WHERE {counts};""",
            f"""UPDATE allocations_usagechange
   SET in_service = in_service + ({day_sign}) * {in_service},
       being_provisioned = being_provisioned + ({day_sign}) * {being_provisioned}
 WHERE {counts} AND offering_id = {row}.offering_id AND day = {day};""",
        ]
    return "\n".join(statements)


def sqlite() -> list[str]:
    unchanged = (
        "OLD.state = NEW.state AND OLD.quantity = NEW.quantity AND OLD.offering_id = NEW.offering_id "
        "AND OLD.starts_on = NEW.starts_on AND OLD.ends_on = NEW.ends_on "
        "AND OLD.state_changed_at IS NEW.state_changed_at"
    )
    return [
        f"""CREATE TRIGGER allocations_usage_on_allocation_insert AFTER INSERT ON allocations_allocation
BEGIN
{_sqlite_moves("NEW", 1)}
END;""",
        f"""CREATE TRIGGER allocations_usage_on_allocation_delete AFTER DELETE ON allocations_allocation
BEGIN
{_sqlite_moves("OLD", -1)}
END;""",
        f"""CREATE TRIGGER allocations_usage_on_allocation_update AFTER UPDATE ON allocations_allocation
WHEN NOT ({unchanged})
BEGIN
{_sqlite_moves("OLD", -1)}
{_sqlite_moves("NEW", 1)}
END;""",
    ]


SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS allocations_usage_on_allocation_{event};" for event in ("insert", "delete", "update")
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgresql(), params=None)
    elif vendor == "sqlite":
        for statement in sqlite():
            schema_editor.execute(statement, params=None)
    else:
        raise NotImplementedError("The usage triggers exist for PostgreSQL and SQLite only.")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    else:
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


def fill(apps, schema_editor):
    """The changes of the allocations that exist already, by the rule of ``usage_span``."""
    Allocation = apps.get_model("allocations", "Allocation")
    UsageChange = apps.get_model("allocations", "UsageChange")
    if schema_editor.connection.vendor == "postgresql":
        # No allocation changes between this reading and the triggers' creation (same transaction).
        schema_editor.execute("LOCK TABLE allocations_allocation IN SHARE MODE", params=None)
    zone = ZoneInfo(settings.TIME_ZONE)
    changes: dict[tuple[int, datetime.date], list[int]] = {}
    fields = ("offering_id", "state", "quantity", "starts_on", "ends_on", "state_changed_at")
    for offering_id, state, quantity, starts_on, ends_on, changed_at in Allocation.objects.values_list(*fields):
        if state in ("pending", "provisioning"):
            figures, last = (0, quantity), ends_on
        elif state in ("active", "expired", "revoked"):
            figures, last = (quantity, 0), ends_on
            if state == "revoked":
                last = min(ends_on, changed_at.astimezone(zone).date() - datetime.timedelta(days=1))
        else:
            continue
        if last < starts_on:
            continue
        for day, sign in ((starts_on, 1), (last + datetime.timedelta(days=1), -1)):
            change = changes.setdefault((offering_id, day), [0, 0])
            change[0] += sign * figures[0]
            change[1] += sign * figures[1]
    UsageChange.objects.bulk_create(
        (
            UsageChange(offering_id=offering_id, day=day, in_service=change[0], being_provisioned=change[1])
            for (offering_id, day), change in sorted(changes.items())
            if change != [0, 0]
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("allocations", "0009_field_verbose_names"),
        ("pool", "0003_field_verbose_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="UsageChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("in_service", models.BigIntegerField(default=0)),
                ("being_provisioned", models.BigIntegerField(default=0)),
                (
                    "offering",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="pool.offering"
                    ),
                ),
            ],
            options={
                "verbose_name": "usage change",
                "verbose_name_plural": "usage changes",
                "constraints": [models.UniqueConstraint(fields=("offering", "day"), name="usage_change_one_per_day")],
            },
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(
                condition=models.Q(("state", "active")), fields=["ends_on", "id"], name="allocation_active_by_end"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
