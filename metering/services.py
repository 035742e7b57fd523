"""Collecting usage: a source's figures for one day, written as one bulk statement.

``usage_ingest`` writes one day's records of one source and keeps the totals
(``OfferingDayUsage`` per offering and day, ``AllocationUsage`` per allocation) in the same
transaction, by the difference between each record's old and new value: collecting a day again
replaces its records and moves the totals by what changed, never counting a day twice. A failure
anywhere rolls the whole day back. ``usage_collect`` asks the configured source about the
allocations in service on a day (outside any transaction: a source may take its time) and
ingests the answer; ``usage_collect_due`` is the beat's job, ``usage_collect_range`` the
backfill's.
"""

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allocations.models import Allocation, AllocationState
from metering.models import UsageRecord, UsageSource
from metering.sources import Source, UsageUnavailable, usage_source
from pool.models import Offering
from portal import data_version, formats
from portal.errors import DomainError, RetryLater

logger = logging.getLogger(__name__)

THOUSANDTH = Decimal("0.001")
# One ingestion at a time (PostgreSQL advisory lock): two runs of the same day would each compute
# their differences from what the other has not committed yet; runs of different days or sources
# would update the same totals in different orders. Ingestion is a nightly batch: it can queue.
INGEST_LOCK = 1919
IN_SERVICE = (AllocationState.ACTIVE, AllocationState.EXPIRED, AllocationState.REVOKED)


class MeteringError(DomainError):
    """A collection the rules refuse (a day that has not ended, a negative figure…)."""


def allocations_in_service(day: date) -> QuerySet[Allocation]:
    """The allocations in service on ``day``: active, or active then (expired; revoked after that
    day, in the portal's time zone), whose period covers it. What a day's collection asks about."""
    next_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return Allocation.objects.filter(
        Q(state__in=(AllocationState.ACTIVE, AllocationState.EXPIRED))
        | Q(state=AllocationState.REVOKED, state_changed_at__gte=next_midnight),
        starts_on__lte=day,
        ends_on__gte=day,
    )


def usage_ingest(*, source: str, day: date, records: Mapping[int, Decimal]) -> int:
    """Write ``records`` ({allocation id: units used}) as ``source``'s figures for ``day``: the
    day's records of that source become exactly these (a record of an allocation no longer in
    ``records`` is removed), and the offerings' and allocations' totals move by the differences.

    One transaction; idempotent: ingesting the same figures again changes nothing, different ones
    replace them. Figures are rounded to the thousandth; ids of no allocation are ignored.
    Returns the number of records written.
    """
    if source not in UsageSource.values:
        raise MeteringError(_("Unknown usage source: %(source)s") % {"source": source})
    ids: list[int] = []
    used: list[Decimal] = []
    for allocation_id, value in records.items():
        figure = Decimal(value).quantize(THOUSANDTH, rounding=ROUND_HALF_UP)
        if figure < 0:
            raise MeteringError(_("Usage cannot be negative (allocation %(id)s).") % {"id": allocation_id})
        ids.append(int(allocation_id))
        used.append(figure)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            written = _ingest_postgresql(source, day, ids, used)
        else:
            written = _ingest_sqlite(source, day, ids, used)
        data_version.changed()
    return written


# The records, their differences and the totals in one statement (PostgreSQL runs every
# data-modifying part, read or not). Every part reads the snapshot taken before the statement, so
# ``changes`` sees each allocation's old record and total while the other parts write the new ones:
# an UPDATE of the records and totals that exist and an INSERT of those that do not (cheaper than
# INSERT … ON CONFLICT DO UPDATE for a whole day at once; the advisory lock keeps every other
# ingestion out meanwhile, and only ingestion writes these tables). It answers the records written
# and the allocations whose latest days may have to be looked up again (see below).
_POSTGRESQL_INGEST = """
WITH incoming AS (
    SELECT i.allocation_id, a.offering_id, i.used
      FROM unnest(%(ids)s::bigint[], %(used)s::numeric[]) AS i(allocation_id, used)
      JOIN allocations_allocation a ON a.id = i.allocation_id
),
removed AS (
    DELETE FROM metering_usagerecord r
     WHERE r.day = %(day)s AND r.source = %(source)s AND r.allocation_id <> ALL(%(ids)s::bigint[])
    RETURNING r.allocation_id, r.used
),
changes AS (
    SELECT i.allocation_id, i.offering_id, i.used, i.used - COALESCE(r.used, 0) AS delta, r.used AS old_used,
           r.id AS record_id, u.allocation_id IS NOT NULL AS has_total
      FROM incoming i
      LEFT JOIN metering_usagerecord r
        ON r.allocation_id = i.allocation_id AND r.day = %(day)s AND r.source = %(source)s
      LEFT JOIN metering_allocationusage u ON u.allocation_id = i.allocation_id
    UNION ALL
    SELECT d.allocation_id, a.offering_id, 0, -d.used, d.used, NULL, TRUE
      FROM removed d JOIN allocations_allocation a ON a.id = d.allocation_id
),
records_replaced AS (
    UPDATE metering_usagerecord r SET used = c.used, collected_at = %(now)s
      FROM changes c
     WHERE r.id = c.record_id AND r.used <> c.used
),
records_added AS (
    INSERT INTO metering_usagerecord (allocation_id, day, source, used, collected_at)
    SELECT allocation_id, %(day)s, %(source)s, used, %(now)s FROM changes
     WHERE record_id IS NULL AND old_used IS NULL ORDER BY allocation_id
),
offerings AS (
    INSERT INTO metering_offeringdayusage (offering_id, day, used)
    SELECT offering_id, %(day)s, SUM(delta) FROM changes GROUP BY offering_id ORDER BY offering_id
    ON CONFLICT (offering_id, day) DO UPDATE SET used = metering_offeringdayusage.used + EXCLUDED.used
),
totals_moved AS (
    UPDATE metering_allocationusage u SET
        used_total = u.used_total + c.delta,
        last_day = GREATEST(u.last_day, %(day)s::date),
        last_used_on = GREATEST(u.last_used_on, CASE WHEN c.used > 0 THEN %(day)s::date END)
      FROM changes c
     WHERE u.allocation_id = c.allocation_id AND c.has_total
),
totals_added AS (
    INSERT INTO metering_allocationusage (allocation_id, used_total, last_day, last_used_on)
    SELECT allocation_id, delta, %(day)s, CASE WHEN used > 0 THEN %(day)s::date END
      FROM changes WHERE NOT has_total ORDER BY allocation_id
)
SELECT (SELECT COUNT(*) FROM incoming),
       (SELECT array_agg(allocation_id) FROM removed),
       (SELECT array_agg(allocation_id) FROM changes WHERE used = 0 AND old_used > 0)
"""

# An allocation whose record of this day was removed, and whose latest day collected was this
# day: its latest day collected is the latest day it has a record of. One whose record of this day
# went from use to none (or was removed) and whose latest day with use was this day: the latest
# other day whose records show any (another source may still show use on this day). Each runs
# only for the allocations ``{ids}`` names (none, mostly), found through their primary key: never
# a scan of the totals whose plan depends on the planner guessing how many rows match.
_LAST_DAYS_RECOMPUTED = """
UPDATE metering_allocationusage SET
    last_day = (SELECT MAX(r.day) FROM metering_usagerecord r
                 WHERE r.allocation_id = metering_allocationusage.allocation_id),
    last_used_on = (SELECT MAX(r.day) FROM metering_usagerecord r
                     WHERE r.allocation_id = metering_allocationusage.allocation_id AND r.used > 0)
WHERE allocation_id {ids} AND last_day = %(day)s
"""
_LAST_USED_ON_RECOMPUTED = """
UPDATE metering_allocationusage SET last_used_on = (
    SELECT MAX(r.day) FROM metering_usagerecord r
     WHERE r.allocation_id = metering_allocationusage.allocation_id AND r.used > 0
)
WHERE allocation_id {ids} AND last_used_on = %(day)s AND NOT EXISTS (
    SELECT 1 FROM metering_usagerecord r
     WHERE r.allocation_id = metering_allocationusage.allocation_id AND r.day = %(day)s AND r.used > 0
)
"""


def _ingest_postgresql(source: str, day: date, ids: list[int], used: list[Decimal]) -> int:
    parameters: dict[str, Any] = {"ids": ids, "used": used, "day": day, "source": source, "now": timezone.now()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INGEST_LOCK])
        # The day's rows were just written or not analysed yet: the planner may take a day of
        # 100,000 records for one and loop over them. Hash joins cost the same whatever it thinks.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(_POSTGRESQL_INGEST, parameters)
        written, removed, unused = cursor.fetchone()
        cursor.execute("SET LOCAL enable_nestloop TO DEFAULT")
        if removed:
            cursor.execute(_LAST_DAYS_RECOMPUTED.format(ids="= ANY(%(ids)s)"), {"day": day, "ids": removed})
        if unused:
            cursor.execute(_LAST_USED_ON_RECOMPUTED.format(ids="= ANY(%(ids)s)"), {"day": day, "ids": unused})
    return int(written)


# SQLite has no data-modifying CTEs: the figures go to a temporary table first, with each
# allocation's offering and old value, and the upserts read it. Its writers are serialised
# (BEGIN IMMEDIATE), so nothing changes between the statements.
_SQLITE_STATEMENTS = (
    """UPDATE temp.metering_incoming SET
           offering_id = (SELECT a.offering_id FROM allocations_allocation a
                           WHERE a.id = metering_incoming.allocation_id),
           old_used = (SELECT r.used FROM metering_usagerecord r
                        WHERE r.allocation_id = metering_incoming.allocation_id
                          AND r.day = %(day)s AND r.source = %(source)s)""",
    "DELETE FROM temp.metering_incoming WHERE offering_id IS NULL",
    """INSERT INTO temp.metering_incoming (allocation_id, offering_id, used, old_used, removed)
       SELECT r.allocation_id, a.offering_id, 0, r.used, 1
         FROM metering_usagerecord r JOIN allocations_allocation a ON a.id = r.allocation_id
        WHERE r.day = %(day)s AND r.source = %(source)s
          AND r.allocation_id NOT IN (SELECT allocation_id FROM temp.metering_incoming)""",
    """DELETE FROM metering_usagerecord
        WHERE day = %(day)s AND source = %(source)s
          AND allocation_id IN (SELECT allocation_id FROM temp.metering_incoming WHERE removed = 1)""",
    """INSERT INTO metering_usagerecord (allocation_id, day, source, used, collected_at)
       SELECT allocation_id, %(day)s, %(source)s, used, %(now)s FROM temp.metering_incoming WHERE removed = 0
       ON CONFLICT (allocation_id, day, source) DO UPDATE
          SET used = excluded.used, collected_at = excluded.collected_at""",
    """INSERT INTO metering_offeringdayusage (offering_id, day, used)
       SELECT offering_id, %(day)s, SUM(used - COALESCE(old_used, 0)) FROM temp.metering_incoming
        WHERE true GROUP BY offering_id
       ON CONFLICT (offering_id, day) DO UPDATE SET used = metering_offeringdayusage.used + excluded.used""",
    """INSERT INTO metering_allocationusage (allocation_id, used_total, last_day, last_used_on)
       SELECT allocation_id, used - COALESCE(old_used, 0), %(day)s, CASE WHEN used > 0 THEN %(day)s END
         FROM temp.metering_incoming WHERE true
       ON CONFLICT (allocation_id) DO UPDATE SET
           used_total = metering_allocationusage.used_total + excluded.used_total,
           last_day = MAX(COALESCE(metering_allocationusage.last_day, excluded.last_day), excluded.last_day),
           last_used_on = COALESCE(MAX(metering_allocationusage.last_used_on, excluded.last_used_on),
                                   metering_allocationusage.last_used_on, excluded.last_used_on)""",
    _LAST_DAYS_RECOMPUTED.format(ids="IN (SELECT allocation_id FROM temp.metering_incoming WHERE removed = 1)"),
    _LAST_USED_ON_RECOMPUTED.format(
        ids="IN (SELECT allocation_id FROM temp.metering_incoming WHERE used = 0 AND old_used > 0)"
    ),
)


def _ingest_sqlite(source: str, day: date, ids: list[int], used: list[Decimal]) -> int:
    parameters: dict[str, Any] = {
        "day": day.isoformat(),
        "source": source,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
    }
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS temp.metering_incoming")
        cursor.execute(
            "CREATE TEMP TABLE metering_incoming (allocation_id INTEGER PRIMARY KEY, offering_id INTEGER,"
            " used DECIMAL NOT NULL, old_used DECIMAL, removed INTEGER NOT NULL DEFAULT 0)"
        )
        cursor.executemany(
            "INSERT INTO temp.metering_incoming (allocation_id, used) VALUES (%s, %s)",
            list(zip(ids, [str(figure) for figure in used], strict=True)),
        )
        for statement in _SQLITE_STATEMENTS:
            cursor.execute(statement, parameters)
        cursor.execute("SELECT COUNT(*) FROM temp.metering_incoming WHERE removed = 0")
        written = int(cursor.fetchone()[0])
        cursor.execute("DROP TABLE temp.metering_incoming")
    return written


def usage_collect(*, day: date, source: Source | None = None, today: date | None = None) -> int:
    """Ask the source (the configured one by default) what each allocation in service on ``day``
    used, and ingest the answer. ``day`` must have ended (before ``today``, Asia/Seoul).

    The source is asked outside any transaction; ``UsageUnavailable`` (the source did not answer)
    leaves the day as it was. Idempotent: collecting a day again replaces its figures.
    Returns the number of records written.
    """
    today = today or timezone.localdate()
    if day >= today:
        raise MeteringError(
            _("Usage can be collected only for a day that has ended (%(day)s has not).") % {"day": formats.day(day)}
        )
    source = source or usage_source()
    offerings = {offering.pk: offering for offering in Offering.objects.all()}
    allocations = list(
        allocations_in_service(day)
        .only("id", "offering_id", "quantity", "starts_on", "ends_on", "state", "state_changed_at", "external_ref")
        .order_by("pk")
    )
    for allocation in allocations:
        allocation.offering = offerings[allocation.offering_id]  # one instance per offering, not per row
    figures = source.collect(day, allocations)
    return usage_ingest(source=source.source, day=day, records=figures)


def usage_collect_range(*, first: date, last: date, source: Source | None = None) -> dict[date, int]:
    """Collect each day from ``first`` to ``last`` (inclusive), one transaction per day (a backfill:
    the days done stay done if a later one fails). Returns the records written per day."""
    source = source or usage_source()
    written: dict[date, int] = {}
    day = first
    while day <= last:
        written[day] = usage_collect(day=day, source=source)
        day += timedelta(days=1)
    return written


def days_not_collected(*, source: str, today: date | None = None) -> list[date]:
    """The last ``USAGE_CATCH_UP_DAYS`` days before ``today`` without any record of ``source``."""
    today = today or timezone.localdate()
    days = [today - timedelta(days=n) for n in range(settings.USAGE_CATCH_UP_DAYS, 0, -1)]
    collected = set(
        UsageRecord.objects.filter(source=source, day__in=days).order_by().values_list("day", flat=True).distinct()
    )
    return [day for day in days if day not in collected]


def usage_collect_due(*, today: date | None = None, attempt: int = 1, source: Source | None = None) -> list[date]:
    """The beat's job: collect each recent day not collected yet (yesterday, and the days before it
    that a stopped beat or source missed). When the source does not answer, the days collected so
    far stay and ``RetryLater`` asks for another attempt (1, 2, 4… minutes, at most an hour) until
    ``USAGE_COLLECTION_MAX_ATTEMPTS``; after that the next run of the beat tries again. Idempotent."""
    source = source or usage_source()
    collected: list[date] = []
    for day in days_not_collected(source=source.source, today=today):
        try:
            usage_collect(day=day, source=source, today=today)
        except UsageUnavailable as error:
            if attempt >= settings.USAGE_COLLECTION_MAX_ATTEMPTS:
                logger.error("usage of %s not collected after %s attempts: %s", day, attempt, error)
                return collected
            raise RetryLater(str(error), countdown=min(60 * 2 ** (attempt - 1), 3600)) from error
        collected.append(day)
    return collected
