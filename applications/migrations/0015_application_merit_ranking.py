"""An evaluated call ranks by the final score: the rank triggers of 0013 order by it.

Two columns, written only by ``evaluation.services.ranking``: ``merit_score`` (the merit of the
latest stage the application was scored in) and ``merit_stage`` (that stage's order). Both are
None in a priority-only call, so its order is exactly 0013's (priority score, submission time,
id). In an evaluated call: the stage reached first (an application that went on to a later stage
comes before those that stopped earlier), then the final score (merit + the priority score,
which the call's priority policy makes the bonus points: a claim verified later moves the
rank at once, nothing to keep in step), then merit (the tie-break), then submission time and id.

The recomputation is 0013's, with that order; the update triggers also fire on a change of the
two columns, so writing one application's merit is one UPDATE and the triggers re-rank its call
in the same statement. Reverting restores 0013's functions and triggers.
"""

import importlib

from django.db import migrations, models

kept = importlib.import_module("applications.migrations.0013_application_rank_kept")

RANKED = kept.RANKED

ORDER = (
    "COALESCE(merit_stage, 0) DESC, COALESCE(merit_score, 0) + priority_score DESC, "
    "COALESCE(merit_score, -1) DESC, submitted_at, id"
)


def _ranking(calls: str, call_filter: str) -> str:
    return f"""
      SELECT id, row_number() OVER (PARTITION BY call_id ORDER BY {ORDER}) AS rank
        FROM applications_application
       WHERE {call_filter.format(calls=calls)} AND status IN {RANKED}
      UNION ALL
      SELECT id, NULL FROM applications_application
       WHERE {call_filter.format(calls=calls)} AND status NOT IN {RANKED} AND rank IS NOT NULL
    """


def _compared(table: str) -> str:
    return f"""SELECT id, call_id, status IN {RANKED} AS ranked,
              CASE WHEN status IN {RANKED} THEN priority_score END AS score,
              CASE WHEN status IN {RANKED} THEN submitted_at END AS submitted,
              CASE WHEN status IN {RANKED} THEN merit_score END AS merit,
              CASE WHEN status IN {RANKED} THEN merit_stage END AS stage
         FROM {table}"""


POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION applications_rank_recompute(call_ids bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF call_ids IS NULL OR cardinality(call_ids) = 0 THEN
    RETURN;
  END IF;
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
    SELECT array_agg(DISTINCT changed.call_id) INTO calls FROM (
      ({_compared("new_applications")} EXCEPT {_compared("old_applications")})
      UNION ALL
      ({_compared("old_applications")} EXCEPT {_compared("new_applications")})
    ) AS changed;
  END IF;
  PERFORM applications_rank_recompute(calls);
  RETURN NULL;
END $$;

SELECT applications_rank_recompute(ARRAY(SELECT id FROM applications_call ORDER BY id));
"""


def _sqlite_recompute(call: str) -> str:
    return f"""
  UPDATE applications_application SET rank = ranking.rank
    FROM ({_ranking(call, "call_id = {calls}")}) AS ranking
   WHERE applications_application.id = ranking.id AND applications_application.rank IS NOT ranking.rank;"""


SQLITE = [
    "DROP TRIGGER applications_rank_follow_insert",
    "DROP TRIGGER applications_rank_follow_update",
    "DROP TRIGGER applications_rank_follow_delete",
    f"""
CREATE TRIGGER applications_rank_follow_insert AFTER INSERT ON applications_application
WHEN NEW.status IN {RANKED}
BEGIN {_sqlite_recompute("NEW.call_id")}
END""",
    f"""
CREATE TRIGGER applications_rank_follow_update
AFTER UPDATE OF status, priority_score, submitted_at, call_id, merit_score, merit_stage ON applications_application
WHEN (OLD.status IN {RANKED} OR NEW.status IN {RANKED})
 AND ((OLD.status IN {RANKED}) <> (NEW.status IN {RANKED})
      OR OLD.priority_score <> NEW.priority_score
      OR OLD.submitted_at IS NOT NEW.submitted_at
      OR OLD.call_id <> NEW.call_id
      OR OLD.merit_score IS NOT NEW.merit_score
      OR OLD.merit_stage IS NOT NEW.merit_stage)
BEGIN {_sqlite_recompute("NEW.call_id")} {_sqlite_recompute("OLD.call_id")}
END""",
    f"""
CREATE TRIGGER applications_rank_follow_delete AFTER DELETE ON applications_application
WHEN OLD.status IN {RANKED}
BEGIN {_sqlite_recompute("OLD.call_id")}
END""",
]

SQLITE_REVERSE = [
    "DROP TRIGGER applications_rank_follow_insert",
    "DROP TRIGGER applications_rank_follow_update",
    "DROP TRIGGER applications_rank_follow_delete",
    *kept.SQLITE[:3],
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # 0013's functions (CREATE OR REPLACE) and its triggers, which call them by name.
        schema_editor.execute(kept.POSTGRESQL.split("CREATE TRIGGER")[0], params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0014_field_verbose_names"),
    ]

    operations = [
        # Nullable, no default: SQLite adds them with ALTER TABLE, keeping the table's triggers.
        migrations.AddField(
            model_name="application",
            name="merit_score",
            field=models.DecimalField(
                blank=True, decimal_places=2, editable=False, max_digits=5, null=True, verbose_name="merit score"
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="merit_stage",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="evaluation stage reached"
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
