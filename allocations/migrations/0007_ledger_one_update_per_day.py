"""A statement of inserts moves each ledger row once, whatever the periods of its rows (PostgreSQL).

Migration 0005's statement-level trigger ran one UPDATE per (offering, first day, last day) of
the inserted allocations: a batch whose grants share one period moved each ledger row once, but
applicants may ask for any sub-period of a call's service period, and a batch of many periods
moved the same rows once per period (approving the demo's open call in one batch updated 1,086
ledger rows 3,736 times). The trigger now adds up, per (offering, day), the units that the
inserted allocations holding capacity hold on that day (summed per period first, then each
period unrolled into its days), and updates each ledger row once, by one statement.

As before, an insert for days without ledger rows is refused (check_violation, naming the
first such day), and the ledger's CHECK (reserved <= capacity) refuses an over-commit. The
engine has locked the rows in (offering, day) order before it inserts (pool.capacity.lock_ledger),
so the order in which this UPDATE visits them does not matter. SQLite has no statement-level
triggers: its row-level triggers of 0003 stay as they are.
"""

from django.db import migrations

HOLDING = "('pending', 'provisioning', 'active')"

# The inserted allocations that hold capacity, summed per (offering, period), then each period
# unrolled into its days: one row per period and day (a batch's grants often share periods).
_DAYS_HELD = f"""
  periods AS (
    SELECT offering_id, starts_on, ends_on, SUM(quantity) AS units
      FROM inserted_allocations
     WHERE state IN {HOLDING}
     GROUP BY offering_id, starts_on, ends_on
  ), days AS (
    SELECT p.offering_id, p.starts_on + n AS day, p.units
      FROM periods AS p CROSS JOIN LATERAL generate_series(0, p.ends_on - p.starts_on) AS n
  )"""

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION allocations_ledger_follow_inserted_allocations() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  days_held bigint;
  days_moved bigint;
  missing record;
BEGIN
  WITH {_DAYS_HELD}, held AS (
    SELECT offering_id, day, SUM(units) AS units FROM days GROUP BY offering_id, day
  ), moved AS (
    UPDATE allocations_capacityledger AS l SET reserved = l.reserved + held.units
      FROM held
     WHERE l.offering_id = held.offering_id AND l.day = held.day
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM held), (SELECT count(*) FROM moved) INTO days_held, days_moved;
  IF days_moved <> days_held THEN
    WITH {_DAYS_HELD}
    SELECT d.offering_id, d.day INTO missing
      FROM days AS d
     WHERE NOT EXISTS (SELECT 1 FROM allocations_capacityledger AS l
                        WHERE l.offering_id = d.offering_id AND l.day = d.day)
     ORDER BY d.offering_id, d.day LIMIT 1;
    RAISE EXCEPTION 'capacity ledger has no row for offering % on %', missing.offering_id, missing.day
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
"""

# Migration 0005's function: one UPDATE per (offering, first day, last day).
POSTGRESQL_REVERSE = f"""
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
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("allocations", "0006_pool_moved")]

    operations = [migrations.RunPython(forwards, backwards)]
