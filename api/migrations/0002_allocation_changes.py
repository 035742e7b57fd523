"""The allocations' changes feed (``api.feeds``): one row per allocation, placed at the end of the
feed by triggers whenever the allocation is inserted or updated, in the order the writing
transactions commit.

PostgreSQL: a statement-level trigger with a transition table marks the written allocations'
rows (one INSERT … ON CONFLICT per statement, however many allocations it writes: a batch
approval, a bulk provisioning), and a deferred constraint trigger numbers them when the
transaction commits, holding a transaction-level advisory lock until the commit is done: numbers
are given in commit order, so a reader who has seen number n has seen every change before it,
and a cursor never skips a change that committed late. The deferred trigger fires once per
written row but numbers the whole transaction on its first call (a transaction-local setting,
reset by every marking statement). SQLite writes one transaction at a time: row-level triggers
number each change at once. Existing allocations are numbered in id order.
"""

from django.db import migrations, models

# pg_advisory_xact_lock key of the feed's numbering ("api allocation changes").
LOCK_KEY = 7_306_242_218_431

POSTGRESQL = f"""
CREATE SEQUENCE api_allocation_change_sequence;

CREATE FUNCTION api_allocation_changes_mark() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO api_allocationchange (allocation_id, sequence, changed_at)
  SELECT id, NULL, clock_timestamp() FROM (SELECT id FROM changed_allocations ORDER BY id) AS changed
  ON CONFLICT (allocation_id) DO UPDATE SET sequence = NULL, changed_at = EXCLUDED.changed_at;
  PERFORM set_config('api.allocation_changes_numbered', 'no', true);
  RETURN NULL;
END $$;

CREATE FUNCTION api_allocation_changes_number() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('api.allocation_changes_numbered', true) = 'yes' THEN
    RETURN NULL;
  END IF;
  -- Held until the commit is done: the next transaction numbers after this one is visible.
  PERFORM pg_advisory_xact_lock({LOCK_KEY});
  UPDATE api_allocationchange SET sequence = nextval('api_allocation_change_sequence')
   WHERE allocation_id IN (SELECT allocation_id FROM api_allocationchange WHERE sequence IS NULL ORDER BY allocation_id);
  PERFORM set_config('api.allocation_changes_numbered', 'yes', true);
  RETURN NULL;
END $$;

CREATE TRIGGER api_allocation_changes_mark_inserts
AFTER INSERT ON allocations_allocation
REFERENCING NEW TABLE AS changed_allocations
FOR EACH STATEMENT EXECUTE FUNCTION api_allocation_changes_mark();

CREATE TRIGGER api_allocation_changes_mark_updates
AFTER UPDATE ON allocations_allocation
REFERENCING NEW TABLE AS changed_allocations
FOR EACH STATEMENT EXECUTE FUNCTION api_allocation_changes_mark();

CREATE FUNCTION api_allocation_changes_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM api_allocationchange WHERE allocation_id = OLD.id;
  RETURN NULL;
END $$;

-- Allocations are not deleted (their history protects them), but a statement from outside the
-- engine may: the feed forgets the row rather than keep a dangling one.
CREATE TRIGGER api_allocation_changes_forget_deletes
AFTER DELETE ON allocations_allocation
FOR EACH ROW EXECUTE FUNCTION api_allocation_changes_forget();

CREATE CONSTRAINT TRIGGER api_allocation_changes_number
AFTER INSERT OR UPDATE ON allocations_allocation
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION api_allocation_changes_number();

INSERT INTO api_allocationchange (allocation_id, sequence, changed_at)
SELECT id, nextval('api_allocation_change_sequence'), state_changed_at
  FROM (SELECT id, state_changed_at FROM allocations_allocation ORDER BY id) AS existing;
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER api_allocation_changes_number ON allocations_allocation;
DROP TRIGGER api_allocation_changes_forget_deletes ON allocations_allocation;
DROP FUNCTION api_allocation_changes_forget();
DROP TRIGGER api_allocation_changes_mark_updates ON allocations_allocation;
DROP TRIGGER api_allocation_changes_mark_inserts ON allocations_allocation;
DROP FUNCTION api_allocation_changes_number();
DROP FUNCTION api_allocation_changes_mark();
DROP SEQUENCE api_allocation_change_sequence;
"""

SQLITE_UPSERT = """
  INSERT INTO api_allocationchange (allocation_id, sequence, changed_at)
  VALUES (NEW.id, (SELECT COALESCE(MAX(sequence), 0) + 1 FROM api_allocationchange),
          strftime('%Y-%m-%d %H:%M:%f', 'now'))
  ON CONFLICT (allocation_id) DO UPDATE SET sequence = excluded.sequence, changed_at = excluded.changed_at;
"""

SQLITE = [
    "CREATE TRIGGER api_allocation_changes_mark_inserts AFTER INSERT ON allocations_allocation "
    f"FOR EACH ROW BEGIN {SQLITE_UPSERT} END;",
    "CREATE TRIGGER api_allocation_changes_mark_updates AFTER UPDATE ON allocations_allocation "
    f"FOR EACH ROW BEGIN {SQLITE_UPSERT} END;",
    "CREATE TRIGGER api_allocation_changes_forget_deletes AFTER DELETE ON allocations_allocation "
    "FOR EACH ROW BEGIN DELETE FROM api_allocationchange WHERE allocation_id = OLD.id; END;",
    "INSERT INTO api_allocationchange (allocation_id, sequence, changed_at) "
    "SELECT id, ROW_NUMBER() OVER (ORDER BY id), state_changed_at FROM allocations_allocation;",
]

SQLITE_REVERSE = [
    "DROP TRIGGER api_allocation_changes_forget_deletes;",
    "DROP TRIGGER api_allocation_changes_mark_updates;",
    "DROP TRIGGER api_allocation_changes_mark_inserts;",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    else:
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    else:
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_token"),
        ("allocations", "0010_usage_changes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AllocationChange",
            fields=[
                (
                    "allocation",
                    models.OneToOneField(
                        on_delete=models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="allocations.allocation",
                        verbose_name="allocation",
                    ),
                ),
                ("sequence", models.BigIntegerField(null=True, unique=True, verbose_name="sequence")),
                ("changed_at", models.DateTimeField(verbose_name="changed")),
            ],
            options={"verbose_name": "allocation change", "verbose_name_plural": "allocation changes"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
