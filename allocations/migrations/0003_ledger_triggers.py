"""Database triggers that keep the capacity ledger in step with allocations and phases.

With them the guarantee does not depend on Python: an INSERT, UPDATE or DELETE of an allocation
from any process (a worker, the admin, a shell, raw SQL) moves the ledger in the same statement,
and the ledger's CHECK (reserved <= capacity) refuses any change that would over-commit a day.
Allocations in pending, provisioning or active hold capacity (allocations.models.HOLDING_STATES).
"""

from django.db import migrations

HOLDING = "('pending', 'provisioning', 'active')"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION allocations_ledger_follow_allocation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  days_present integer;
BEGIN
  IF TG_OP = 'UPDATE'
     AND (OLD.state IN {HOLDING}) = (NEW.state IN {HOLDING})
     AND OLD.quantity = NEW.quantity AND OLD.offering_id = NEW.offering_id
     AND OLD.starts_on = NEW.starts_on AND OLD.ends_on = NEW.ends_on THEN
    RETURN NULL;  -- e.g. pending -> provisioning -> active: the capacity stays held
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state IN {HOLDING} THEN
    UPDATE allocations_capacityledger SET reserved = reserved - OLD.quantity
     WHERE offering_id = OLD.offering_id AND day BETWEEN OLD.starts_on AND OLD.ends_on;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state IN {HOLDING} THEN
    UPDATE allocations_capacityledger SET reserved = reserved + NEW.quantity
     WHERE offering_id = NEW.offering_id AND day BETWEEN NEW.starts_on AND NEW.ends_on;
    GET DIAGNOSTICS days_present = ROW_COUNT;
    IF days_present <> (NEW.ends_on - NEW.starts_on + 1) THEN
      RAISE EXCEPTION 'capacity ledger has no rows for offering % from % to %',
        NEW.offering_id, NEW.starts_on, NEW.ends_on USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER allocations_ledger_follow_allocation
AFTER INSERT OR UPDATE OR DELETE ON allocations_allocation
FOR EACH ROW EXECUTE FUNCTION allocations_ledger_follow_allocation();

CREATE OR REPLACE FUNCTION allocations_ledger_refresh_capacity(target bigint) RETURNS void
LANGUAGE sql AS $$
  UPDATE allocations_capacityledger AS l SET capacity = COALESCE((
    SELECT p.units FROM allocations_capacityphase AS p
     WHERE p.offering_id = l.offering_id AND p.starts_on <= l.day
     ORDER BY p.starts_on DESC LIMIT 1), 0)
   WHERE l.offering_id = target;
$$;

CREATE OR REPLACE FUNCTION allocations_ledger_follow_phases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM allocations_ledger_refresh_capacity(OLD.offering_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM allocations_ledger_refresh_capacity(NEW.offering_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER allocations_ledger_follow_phases
AFTER INSERT OR UPDATE OR DELETE ON allocations_capacityphase
FOR EACH ROW EXECUTE FUNCTION allocations_ledger_follow_phases();

-- Every grant updates the same few rows: leave room on each page for HOT updates and vacuum
-- the dead versions early, or the hot rows' version chains slow every later grant.
ALTER TABLE allocations_capacityledger SET (
  fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000
);
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS allocations_ledger_follow_phases ON allocations_capacityphase;
DROP FUNCTION IF EXISTS allocations_ledger_follow_phases();
DROP FUNCTION IF EXISTS allocations_ledger_refresh_capacity(bigint);
DROP TRIGGER IF EXISTS allocations_ledger_follow_allocation ON allocations_allocation;
DROP FUNCTION IF EXISTS allocations_ledger_follow_allocation();
"""

_SQLITE_DAYS_MISSING = """
  SELECT RAISE(ABORT, 'capacity ledger has no rows for the allocation period')
   WHERE (SELECT count(*) FROM allocations_capacityledger
           WHERE offering_id = NEW.offering_id AND day BETWEEN NEW.starts_on AND NEW.ends_on)
         <> CAST(julianday(NEW.ends_on) - julianday(NEW.starts_on) + 1 AS INTEGER);
"""

_SQLITE_REFRESH = """
  UPDATE allocations_capacityledger SET capacity = COALESCE((
    SELECT p.units FROM allocations_capacityphase AS p
     WHERE p.offering_id = allocations_capacityledger.offering_id
       AND p.starts_on <= allocations_capacityledger.day
     ORDER BY p.starts_on DESC LIMIT 1), 0)
   WHERE offering_id = {row}.offering_id;
"""

SQLITE = [
    f"""
CREATE TRIGGER allocations_ledger_on_allocation_insert AFTER INSERT ON allocations_allocation
WHEN NEW.state IN {HOLDING}
BEGIN
{_SQLITE_DAYS_MISSING}
  UPDATE allocations_capacityledger SET reserved = reserved + NEW.quantity
   WHERE offering_id = NEW.offering_id AND day BETWEEN NEW.starts_on AND NEW.ends_on;
END;
""",
    f"""
CREATE TRIGGER allocations_ledger_on_allocation_delete AFTER DELETE ON allocations_allocation
WHEN OLD.state IN {HOLDING}
BEGIN
  UPDATE allocations_capacityledger SET reserved = reserved - OLD.quantity
   WHERE offering_id = OLD.offering_id AND day BETWEEN OLD.starts_on AND OLD.ends_on;
END;
""",
    f"""
CREATE TRIGGER allocations_ledger_on_allocation_update AFTER UPDATE ON allocations_allocation
WHEN NOT ((OLD.state IN {HOLDING}) = (NEW.state IN {HOLDING})
          AND OLD.quantity = NEW.quantity AND OLD.offering_id = NEW.offering_id
          AND OLD.starts_on = NEW.starts_on AND OLD.ends_on = NEW.ends_on)
BEGIN
  UPDATE allocations_capacityledger SET reserved = reserved - OLD.quantity
   WHERE OLD.state IN {HOLDING}
     AND offering_id = OLD.offering_id AND day BETWEEN OLD.starts_on AND OLD.ends_on;
{_SQLITE_DAYS_MISSING.replace("WHERE (SELECT", f"WHERE NEW.state IN {HOLDING} AND (SELECT")}
  UPDATE allocations_capacityledger SET reserved = reserved + NEW.quantity
   WHERE NEW.state IN {HOLDING}
     AND offering_id = NEW.offering_id AND day BETWEEN NEW.starts_on AND NEW.ends_on;
END;
""",
    f"""
CREATE TRIGGER allocations_ledger_on_phase_insert AFTER INSERT ON allocations_capacityphase
BEGIN
{_SQLITE_REFRESH.format(row="NEW")}
END;
""",
    f"""
CREATE TRIGGER allocations_ledger_on_phase_update AFTER UPDATE ON allocations_capacityphase
BEGIN
{_SQLITE_REFRESH.format(row="OLD")}
{_SQLITE_REFRESH.format(row="NEW")}
END;
""",
    f"""
CREATE TRIGGER allocations_ledger_on_phase_delete AFTER DELETE ON allocations_capacityphase
BEGIN
{_SQLITE_REFRESH.format(row="OLD")}
END;
""",
]

SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "allocations_ledger_on_allocation_insert",
        "allocations_ledger_on_allocation_delete",
        "allocations_ledger_on_allocation_update",
        "allocations_ledger_on_phase_insert",
        "allocations_ledger_on_phase_update",
        "allocations_ledger_on_phase_delete",
    )
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError("The capacity ledger triggers exist for PostgreSQL and SQLite only.")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    else:
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("allocations", "0002_capacity_pool_and_allocations")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
