"""The ledger follows inserted allocations once per statement, not once per row (PostgreSQL).

Migration 0003 moved the ledger with a row-level trigger: an INSERT of a hundred allocations
(a batch approval) ran a hundred UPDATEs of the same hot ledger rows. Inserts now fire a
statement-level trigger that sees every inserted row in a transition table and runs one
UPDATE per (offering, period) by the sum of the quantities that hold capacity over it: the
applications of one call share its service period, so a batch moves each ledger row once. An
insert for days without ledger rows is still refused. The guarantee is unchanged: the ledger
moves in the statement that inserts, from any process, and its CHECK (reserved <= capacity)
refuses an over-commit.

Updates and deletes keep the row-level function of 0003 (they come one allocation at a time);
the update trigger now has a WHEN clause, so the transitions that keep capacity held
(pending -> provisioning -> active, a new attempt, an external reference) do not call it at all.
SQLite has no statement-level triggers: its row-level triggers of 0003 stay as they are.
"""

from django.db import migrations

HOLDING = "('pending', 'provisioning', 'active')"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION allocations_ledger_follow_inserted_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  held record;
  days_present integer;
BEGIN
  FOR held IN
    SELECT offering_id, starts_on, ends_on, SUM(quantity) AS units
      FROM inserted_allocations
     WHERE state IN {HOLDING}
     GROUP BY offering_id, starts_on, ends_on
     ORDER BY offering_id, starts_on, ends_on
  LOOP
    UPDATE allocations_capacityledger SET reserved = reserved + held.units
     WHERE offering_id = held.offering_id AND day BETWEEN held.starts_on AND held.ends_on;
    GET DIAGNOSTICS days_present = ROW_COUNT;
    IF days_present <> (held.ends_on - held.starts_on + 1) THEN
      RAISE EXCEPTION 'capacity ledger has no rows for offering % from % to %',
        held.offering_id, held.starts_on, held.ends_on USING ERRCODE = 'check_violation';
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

DROP TRIGGER allocations_ledger_follow_allocation ON allocations_allocation;

CREATE TRIGGER allocations_ledger_follow_inserted_allocations
AFTER INSERT ON allocations_allocation
REFERENCING NEW TABLE AS inserted_allocations
FOR EACH STATEMENT EXECUTE FUNCTION allocations_ledger_follow_inserted_allocations();

CREATE TRIGGER allocations_ledger_follow_updated_allocation
AFTER UPDATE ON allocations_allocation
FOR EACH ROW
WHEN ((OLD.state IN {HOLDING}) <> (NEW.state IN {HOLDING})
      OR OLD.quantity <> NEW.quantity OR OLD.offering_id <> NEW.offering_id
      OR OLD.starts_on <> NEW.starts_on OR OLD.ends_on <> NEW.ends_on)
EXECUTE FUNCTION allocations_ledger_follow_allocation();

CREATE TRIGGER allocations_ledger_follow_deleted_allocation
AFTER DELETE ON allocations_allocation
FOR EACH ROW EXECUTE FUNCTION allocations_ledger_follow_allocation();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER allocations_ledger_follow_deleted_allocation ON allocations_allocation;
DROP TRIGGER allocations_ledger_follow_updated_allocation ON allocations_allocation;
DROP TRIGGER allocations_ledger_follow_inserted_allocations ON allocations_allocation;
DROP FUNCTION allocations_ledger_follow_inserted_allocations();
CREATE TRIGGER allocations_ledger_follow_allocation
AFTER INSERT OR UPDATE OR DELETE ON allocations_allocation
FOR EACH ROW EXECUTE FUNCTION allocations_ledger_follow_allocation();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("allocations", "0004_role_permissions")]

    operations = [migrations.RunPython(forwards, backwards)]
