"""An application's rank in its call is kept on the row, by the database.

Until now the queue counted each shown row's rank with a correlated subquery that read every
ranked application of the call ahead of it (the partial index ``application_rank`` was not
used for it), so the queue's time grew with the call. The rank is now a column, recomputed for
the whole call in one UPDATE (a ``row_number()`` over the call's ranked applications, in the
ranking's order, written only where it changed) by triggers, in the statement that changes what
a rank depends on: a submission, a withdrawal (the ranked set), a score, a submission time, or
an application inserted or deleted ranked. From any process and raw SQL too.

PostgreSQL: statement-level triggers with transition tables, so a policy change that re-scores a
call's applications (``bulk_update``) recomputes the call once. The recomputation first locks
the call's row (``FOR NO KEY UPDATE``, the lock the services take before they lock an
application of the call), then ranks in a statement whose snapshot is taken after that lock:
two transactions changing the same call rank one after the other, the second seeing the first.
Its own UPDATE of ``rank`` fires the update trigger again, which finds no rank-relevant change
and stops (a hashed set difference of the transition tables: a join of them, planned as a
nested loop, took 7 s for 10,000 rewritten ranks).

SQLite has no statement-level triggers: row-level ones run the same UPDATE for the row's call
(SQLite writers are serialised anyway).

A new index, (call_id DESC, rank, id), is the queue's default order and its rank column's sort:
the first page is the first rows of an index scan, whatever the size of the call. Three more,
(priority_score, id), (status, id) and (submitted_at, id), do the same for the queue sorted by
those columns (the changelist breaks ties by id in the column's direction).

The units an application requests of GPUs and of storage are kept on the row the same way
(``requested_gpu_units``, ``requested_storage_units``, by triggers on its items), so the queue
shows them and sorts by them without a sum per row over the whole call; the indexes
(requested_gpu_units, id) and (requested_storage_units, id) make those sorts index scans.
An offering's kind is not expected to change once requested; a change would need the items'
applications recomputed (``applications_requested_units_recompute``).
"""

from django.db import migrations, models

RANKED = "('submitted', 'waitlisted', 'approved', 'rejected')"


def _ranking(calls: str, call_filter: str) -> str:
    """The call's ranks: ``row_number()`` over its ranked applications, NULL for the others that
    still have one. ``calls`` names the call ids (SQL), ``call_filter`` the condition on them."""
    return f"""
      SELECT id, row_number() OVER (PARTITION BY call_id ORDER BY priority_score DESC, submitted_at, id) AS rank
        FROM applications_application
       WHERE {call_filter.format(calls=calls)} AND status IN {RANKED}
      UNION ALL
      SELECT id, NULL FROM applications_application
       WHERE {call_filter.format(calls=calls)} AND status NOT IN {RANKED} AND rank IS NOT NULL
    """


POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION applications_rank_recompute(call_ids bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF call_ids IS NULL OR cardinality(call_ids) = 0 THEN
    RETURN;
  END IF;
  -- The call's lock, in id order; the UPDATE below takes its snapshot after it (READ COMMITTED).
  PERFORM 1 FROM applications_call WHERE id = ANY(call_ids) ORDER BY id FOR NO KEY UPDATE;
  UPDATE applications_application AS application SET rank = ranking.rank
    FROM ({_ranking("call_ids", "call_id = ANY({calls})")}) AS ranking
   WHERE application.id = ranking.id AND application.rank IS DISTINCT FROM ranking.rank;
END $$;

CREATE OR REPLACE FUNCTION applications_rank_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  calls bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT call_id) INTO calls FROM new_applications WHERE status IN {RANKED};
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT call_id) INTO calls FROM old_applications WHERE status IN {RANKED};
  ELSE
    -- What a rank depends on, per row, before and after (nothing for an unranked row but its
    -- call): the rows that differ name the calls to recompute. Set operations (hashed), not a
    -- join of the two transition tables: the recomputation's own UPDATE of every rank of a
    -- call comes back here with all of them, and finds no difference.
    SELECT array_agg(DISTINCT changed.call_id) INTO calls FROM (
      (SELECT id, call_id, status IN {RANKED} AS ranked,
              CASE WHEN status IN {RANKED} THEN priority_score END AS score,
              CASE WHEN status IN {RANKED} THEN submitted_at END AS submitted
         FROM new_applications
       EXCEPT
       SELECT id, call_id, status IN {RANKED},
              CASE WHEN status IN {RANKED} THEN priority_score END,
              CASE WHEN status IN {RANKED} THEN submitted_at END
         FROM old_applications)
      UNION ALL
      (SELECT id, call_id, status IN {RANKED},
              CASE WHEN status IN {RANKED} THEN priority_score END,
              CASE WHEN status IN {RANKED} THEN submitted_at END
         FROM old_applications
       EXCEPT
       SELECT id, call_id, status IN {RANKED},
              CASE WHEN status IN {RANKED} THEN priority_score END,
              CASE WHEN status IN {RANKED} THEN submitted_at END
         FROM new_applications)
    ) AS changed;
  END IF;
  PERFORM applications_rank_recompute(calls);
  RETURN NULL;
END $$;

CREATE TRIGGER applications_rank_follow_insert AFTER INSERT ON applications_application
REFERENCING NEW TABLE AS new_applications
FOR EACH STATEMENT EXECUTE FUNCTION applications_rank_follow();

CREATE TRIGGER applications_rank_follow_update AFTER UPDATE ON applications_application
REFERENCING OLD TABLE AS old_applications NEW TABLE AS new_applications
FOR EACH STATEMENT EXECUTE FUNCTION applications_rank_follow();

CREATE TRIGGER applications_rank_follow_delete AFTER DELETE ON applications_application
REFERENCING OLD TABLE AS old_applications
FOR EACH STATEMENT EXECUTE FUNCTION applications_rank_follow();

SELECT applications_rank_recompute(ARRAY(SELECT id FROM applications_call ORDER BY id));
"""

UNITS = """
SELECT wanted.id,
       COALESCE(SUM(item.quantity) FILTER (WHERE offering.kind = 'gpu'), 0) AS gpu,
       COALESCE(SUM(item.quantity) FILTER (WHERE offering.kind = 'storage'), 0) AS storage
  FROM unnest(application_ids) AS wanted(id)
  LEFT JOIN applications_applicationitem AS item ON item.application_id = wanted.id
  LEFT JOIN allocations_offering AS offering ON offering.id = item.offering_id
 GROUP BY wanted.id
"""

POSTGRESQL_UNITS = f"""
CREATE OR REPLACE FUNCTION applications_requested_units_recompute(application_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF application_ids IS NULL OR cardinality(application_ids) = 0 THEN
    RETURN;
  END IF;
  UPDATE applications_application AS application
     SET requested_gpu_units = totals.gpu, requested_storage_units = totals.storage
    FROM ({UNITS}) AS totals
   WHERE application.id = totals.id
     AND (application.requested_gpu_units, application.requested_storage_units)
         IS DISTINCT FROM (totals.gpu, totals.storage);
END $$;

CREATE OR REPLACE FUNCTION applications_requested_units_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  touched bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT application_id) INTO touched FROM new_items;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT application_id) INTO touched FROM old_items;
  ELSE
    SELECT array_agg(DISTINCT application_id) INTO touched FROM (
      SELECT application_id FROM new_items UNION SELECT application_id FROM old_items
    ) AS items;
  END IF;
  PERFORM applications_requested_units_recompute(touched);
  RETURN NULL;
END $$;

CREATE TRIGGER applications_requested_units_follow_insert AFTER INSERT ON applications_applicationitem
REFERENCING NEW TABLE AS new_items
FOR EACH STATEMENT EXECUTE FUNCTION applications_requested_units_follow();

CREATE TRIGGER applications_requested_units_follow_update AFTER UPDATE ON applications_applicationitem
REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items
FOR EACH STATEMENT EXECUTE FUNCTION applications_requested_units_follow();

CREATE TRIGGER applications_requested_units_follow_delete AFTER DELETE ON applications_applicationitem
REFERENCING OLD TABLE AS old_items
FOR EACH STATEMENT EXECUTE FUNCTION applications_requested_units_follow();

SELECT applications_requested_units_recompute(ARRAY(SELECT DISTINCT application_id FROM applications_applicationitem));
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER applications_requested_units_follow_delete ON applications_applicationitem;
DROP TRIGGER applications_requested_units_follow_update ON applications_applicationitem;
DROP TRIGGER applications_requested_units_follow_insert ON applications_applicationitem;
DROP FUNCTION applications_requested_units_follow();
DROP FUNCTION applications_requested_units_recompute(bigint[]);
DROP TRIGGER applications_rank_follow_delete ON applications_application;
DROP TRIGGER applications_rank_follow_update ON applications_application;
DROP TRIGGER applications_rank_follow_insert ON applications_application;
DROP FUNCTION applications_rank_follow();
DROP FUNCTION applications_rank_recompute(bigint[]);
"""


def _sqlite_recompute(call: str) -> str:
    return f"""
  UPDATE applications_application SET rank = ranking.rank
    FROM ({_ranking(call, "call_id = {calls}")}) AS ranking
   WHERE applications_application.id = ranking.id AND applications_application.rank IS NOT ranking.rank;"""


SQLITE = [
    f"""
CREATE TRIGGER applications_rank_follow_insert AFTER INSERT ON applications_application
WHEN NEW.status IN {RANKED}
BEGIN {_sqlite_recompute("NEW.call_id")}
END""",
    f"""
CREATE TRIGGER applications_rank_follow_update
AFTER UPDATE OF status, priority_score, submitted_at, call_id ON applications_application
WHEN (OLD.status IN {RANKED} OR NEW.status IN {RANKED})
 AND ((OLD.status IN {RANKED}) <> (NEW.status IN {RANKED})
      OR OLD.priority_score <> NEW.priority_score
      OR OLD.submitted_at IS NOT NEW.submitted_at
      OR OLD.call_id <> NEW.call_id)
BEGIN {_sqlite_recompute("NEW.call_id")} {_sqlite_recompute("OLD.call_id")}
END""",
    f"""
CREATE TRIGGER applications_rank_follow_delete AFTER DELETE ON applications_application
WHEN OLD.status IN {RANKED}
BEGIN {_sqlite_recompute("OLD.call_id")}
END""",
    f"""
UPDATE applications_application SET rank = ranking.rank
  FROM ({_ranking("", "call_id IS NOT NULL")}) AS ranking
 WHERE applications_application.id = ranking.id""",
]

def _sqlite_units(application: str) -> str:
    def total(kind: str) -> str:
        return (
            "(SELECT COALESCE(SUM(item.quantity), 0) FROM applications_applicationitem AS item"
            " JOIN allocations_offering AS offering ON offering.id = item.offering_id"
            f" WHERE item.application_id = {application} AND offering.kind = '{kind}')"
        )

    return f"""
  UPDATE applications_application
     SET requested_gpu_units = {total("gpu")}, requested_storage_units = {total("storage")}
   WHERE id = {application};"""


SQLITE_UNITS = [
    f"""
CREATE TRIGGER applications_requested_units_follow_insert AFTER INSERT ON applications_applicationitem
BEGIN {_sqlite_units("NEW.application_id")}
END""",
    f"""
CREATE TRIGGER applications_requested_units_follow_update AFTER UPDATE ON applications_applicationitem
BEGIN {_sqlite_units("NEW.application_id")} {_sqlite_units("OLD.application_id")}
END""",
    f"""
CREATE TRIGGER applications_requested_units_follow_delete AFTER DELETE ON applications_applicationitem
BEGIN {_sqlite_units("OLD.application_id")}
END""",
    f"""
UPDATE applications_application
   SET requested_gpu_units = (SELECT COALESCE(SUM(item.quantity), 0) FROM applications_applicationitem AS item
         JOIN allocations_offering AS offering ON offering.id = item.offering_id
        WHERE item.application_id = applications_application.id AND offering.kind = 'gpu'),
       requested_storage_units = (SELECT COALESCE(SUM(item.quantity), 0) FROM applications_applicationitem AS item
         JOIN allocations_offering AS offering ON offering.id = item.offering_id
        WHERE item.application_id = applications_application.id AND offering.kind = 'storage')""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER applications_requested_units_follow_delete",
    "DROP TRIGGER applications_requested_units_follow_update",
    "DROP TRIGGER applications_requested_units_follow_insert",
    "DROP TRIGGER applications_rank_follow_delete",
    "DROP TRIGGER applications_rank_follow_update",
    "DROP TRIGGER applications_rank_follow_insert",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
        schema_editor.execute(POSTGRESQL_UNITS, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in [*SQLITE, *SQLITE_UNITS]:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0012_organization_identity_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="rank",
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name="rank"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["-call", "rank", "id"], name="application_queue_rank"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["priority_score", "id"], name="application_by_score"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["status", "id"], name="application_by_status"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["submitted_at", "id"], name="application_by_submission"),
        ),
        migrations.AddField(
            model_name="application",
            name="requested_gpu_units",
            field=models.PositiveIntegerField(db_default=0, editable=False, verbose_name="requested GPUs"),
        ),
        migrations.AddField(
            model_name="application",
            name="requested_storage_units",
            field=models.PositiveIntegerField(db_default=0, editable=False, verbose_name="requested storage (TB)"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["requested_gpu_units", "id"], name="application_by_gpus"),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["requested_storage_units", "id"], name="application_by_storage"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
