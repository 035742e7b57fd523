"""One day's usage of N allocations (default 100,000) written by ``usage_ingest`` on PostgreSQL.

Not a test: prints figures. Needs PostgreSQL (DATABASE_URL=postgres://…). It creates a scratch
database (<name>_bench_usage), inserts N active allocations over six offerings (20 % of N
applications of five items; the ledger and usage triggers switched off for the session: bulk
data, not grants) and the usage records of the 7 days before the measured day (so that the
table and its indexes are not empty: 700,000 records at the default size), then times:

- ``usage_ingest`` of the day's N figures from the modelled cloud (the records inserted; the
  totals per offering and allocation moved), the issue's target: under 10 s;
- the same day ingested again with other figures (collecting a day again: every record replaced,
  the totals moved by the differences), and with the same figures;
- ``usage_collect`` of the next day: the allocations in service read, the modelled source's
  figures computed, and the ingestion, as the beat runs it;

and checks afterwards that the kept totals equal the sums of the records (``check_usage``'s audit).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/usage_ingest.py [N]
"""

import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench"

from bench.harness import exit_on_sigterm, recreate_database, scratch_url  # noqa: E402

TARGET_SECONDS = 10
HISTORY_DAYS = 7
DAY = date(2031, 2, 1)  # the measured day; the allocations run through 2031
OFFERINGS = (("gpu", "gpu"), ("cpu", "core"), ("storage", "tb"), ("data_lake", "tb"), ("ai_dev_env", "seat"),
             ("saas", "seat"))  # fmt: skip


def build(count: int) -> list[int]:
    """``count`` active allocations from 2031-01-01 to 2031-12-31; returns their ids."""
    from django.db import connection, transaction
    from django.utils import timezone

    from allocations.models import Allocation
    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Call, Organization
    from pool.models import CapacityPhase, Offering

    offerings = []
    for kind, unit in OFFERINGS:
        offering = Offering.objects.create(name=f"bench {kind}", kind=kind, unit=unit)
        CapacityPhase.objects.create(offering=offering, starts_on=date(2030, 1, 1), units=10**8)
        offerings.append(offering)
    now = timezone.now()
    call = Call.objects.create(
        title="bench usage",
        description="",
        opens_at=now - timedelta(days=30),
        deadline=now - timedelta(days=20),
        service_starts_on=date(2031, 1, 1),
        service_ends_on=date(2031, 12, 31),
        selection_target=count,
    )
    applications_count = count // 5
    organizations = Organization.objects.bulk_create(
        (
            Organization(
                legal_name=f"벤치 기관 {n}",
                org_type="sme",
                registration_number=f"{700_000_000 + n:09d}" + str(check_digit(f"{700_000_000 + n:09d}")),
                region="gwangju",
                address="광주광역시 북구",
                industry="other",
                employees=10,
            )
            for n in range(applications_count)
        ),
        batch_size=5000,
    )
    applications = Application.objects.bulk_create(
        (
            Application(organization=o, call=call, status="approved", submitted_at=now, project_title="벤치")
            for o in organizations
        ),
        batch_size=5000,
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers: bulk data
        for start in range(0, applications_count, 2000):
            items = ApplicationItem.objects.bulk_create(
                ApplicationItem(
                    application=application,
                    offering=offerings[(n + k) % len(offerings)],
                    quantity=1 + (n * 7 + k) % 16,
                    starts_on=date(2031, 1, 1),
                    ends_on=date(2031, 12, 31),
                )
                for n, application in enumerate(applications[start : start + 2000], start)
                for k in range(5)
            )
            Allocation.objects.bulk_create(
                (
                    Allocation(
                        organization_id=item.application.organization_id,
                        application_item=item,
                        offering=item.offering,
                        quantity=item.quantity,
                        starts_on=item.starts_on,
                        ends_on=item.ends_on,
                        state="active",
                        external_ref=f"nai-dc/quota/{item.pk}",
                    )
                    for item in items
                ),
                batch_size=5000,
            )
    return list(Allocation.objects.order_by("pk").values_list("pk", flat=True))


def main() -> None:
    exit_on_sigterm()
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    url = scratch_url("_bench_usage")
    recreate_database(url)
    try:
        os.environ["DATABASE_URL"] = url
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from metering.selectors import usage_total_drift
        from metering.services import allocations_in_service, usage_collect, usage_ingest
        from metering.sources.modelled import ModelledCloudSource
        from pool.models import Offering

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        build(count)
        offerings = {offering.pk: offering for offering in Offering.objects.all()}
        source = ModelledCloudSource()

        def figures(day: date) -> dict:
            allocations = list(allocations_in_service(day).order_by("pk"))
            for allocation in allocations:
                allocation.offering = offerings[allocation.offering_id]
            return source.collect(day, allocations)

        history = []
        for n in range(HISTORY_DAYS, 0, -1):
            day_figures = figures(DAY - timedelta(days=n))
            began = time.perf_counter()
            usage_ingest(source="modelled", day=DAY - timedelta(days=n), records=day_figures)
            history.append(time.perf_counter() - began)
        print(f"history: {HISTORY_DAYS} days ingested, {min(history):.2f}–{max(history):.2f} s a day", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        built_in = time.perf_counter() - started

        rows = []

        def timed(case: str, run) -> float:
            began = time.perf_counter()
            written = run()
            seconds = time.perf_counter() - began
            rows.append({"case": case, "records": written, "seconds": round(seconds, 2)})
            print(f"{case:<62} {written:>9,} records {seconds:>7.2f} s", flush=True)
            return seconds

        day_figures = figures(DAY)
        other_figures = {pk: used / 2 for pk, used in day_figures.items()}
        print(f"{count:,} allocations, {HISTORY_DAYS} days of records before the day (built in {built_in:.0f} s)")
        first = timed("usage_ingest: one day, first time (insert)", lambda: usage_ingest(
            source="modelled", day=DAY, records=day_figures))  # fmt: skip
        timed("usage_ingest: the same day again, other figures (replace)", lambda: usage_ingest(
            source="modelled", day=DAY, records=other_figures))  # fmt: skip
        timed("usage_ingest: the same day again, same figures", lambda: usage_ingest(
            source="modelled", day=DAY, records=other_figures))  # fmt: skip
        collect = timed("usage_collect: next day (read, modelled source, ingest)", lambda: usage_collect(
            day=DAY + timedelta(days=1), source=source, today=DAY + timedelta(days=2)))  # fmt: skip
        drift = usage_total_drift()
        print(f"kept totals against the records: {'exact' if not drift else f'{len(drift)} DIFFER'}")
        targets = [
            {
                "target": f"one day of usage for {count:,} allocations ingested in < {TARGET_SECONDS} s (PostgreSQL)",
                "figure": f"{first:.2f} s (collect with the modelled source: {collect:.2f} s)",
                "met": first < TARGET_SECONDS and not drift,
            }
        ]
        for target in targets:
            print(f"target: {target['target']}: {target['figure']}: {'met' if target['met'] else 'NOT met'}")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "bench-usage-ingest.json").write_text(
            json.dumps(
                {"allocations": count, "rows": rows, "drift": len(drift), "targets": targets},
                indent=2,
            )
        )
        connection.close()
    finally:
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
