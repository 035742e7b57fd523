"""Provisioning throughput of the allocation engine beside PostgreSQL's own ceiling.

Not a test: prints figures. Needs PostgreSQL (DATABASE_URL=postgres://…) and `pgbench` on PATH.
It creates a scratch database (<name>_bench), provisions N allocations (default 10,000) with
1, 2 and 4 worker processes, each running the engine's services, and measures with pgbench the
ledger work of one grant (the ordered lock of its ledger rows and the hot-row conditional
UPDATE the ledger trigger runs) with as many clients. All grants hit one offering and the same
90 days: the worst case, every grant contends for the same ledger rows. With ``--periods
mixed`` each grant asks for a sub-period of those 90 days instead (30 to 90 days, nearly every
grant a period of its own), as applicants may: a batch's grants then cover the same rows with
many periods.

Each worker count runs twice:

- one by one: ``application_approve`` for each application (the decision page, the bulk
  action), then ``allocation_provision`` for its allocation (what the Celery task runs; with
  the modelled cloud, one transaction). Every grant does the ledger work the ceiling measures.
- batched: ``applications_approve`` for BATCH applications at a time (what filling a call by
  priority and offering freed capacity to a wait-list run), then ``allocations_provision`` for
  the batch's allocations (what the batch's one provisioning message runs: with the modelled
  cloud, one transaction). A batch moves each ledger row once, however many grants and
  periods it holds, so this mode does less ledger work per grant than the ceiling's script.

``--mode`` runs one of the two modes only. Each run also reports the ledger rows it updated
(PostgreSQL's n_tup_upd of the ledger table): one by one, each grant's days; batched, the days
each batch covers (at most 90), however many grants and periods it holds.

The ceiling is measured after each mode's run and the two are averaged: on a shared machine the
load drifts, and the load averages are printed with the figures. Targets (in the JSON, for
`make bench`'s table), with 4 workers: one by one ≥ 30% of the ceiling, batched ≥ 50%.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/provisioning.py [N]
        [--mode "one by one"|batched] [--periods shared|mixed]
"""

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only")
# Approvals also send a provisioning message; here the workers provision directly, so the
# messages go to a throw-away file-system broker instead of the machine's Redis.
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench"

START, END = date(2031, 1, 1), date(2031, 3, 31)  # 90 ledger rows per grant
WORKERS = (1, 2, 4)
MODES = ("one by one", "batched")
PERIODS = ("shared", "mixed")
BATCH = 100  # applications per batch approval in the batched mode
# Of the pgbench ceiling, with 4 workers: one grant at a time (the decision page's path), and batched.
TARGETS = {"one by one": 0.30, "batched": 0.50}
PGBENCH_SECONDS = 10
# The ledger work of one grant, with the engine's locking discipline: lock the period's rows in
# (offering, day) order, then the conditional UPDATE the ledger trigger runs (CHECK reserved <=
# capacity). Without the ordered lock, concurrent UPDATEs of the same rows can deadlock.
LEDGER_UPDATE = """BEGIN;
SELECT id FROM allocations_capacityledger
 WHERE offering_id = :offering AND day BETWEEN '2031-01-01' AND '2031-03-31' ORDER BY offering_id, day FOR UPDATE;
UPDATE allocations_capacityledger SET reserved = reserved + 1
 WHERE offering_id = :offering AND day BETWEEN '2031-01-01' AND '2031-03-31';
COMMIT;
"""


def scratch_database_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("bench/provisioning.py needs DATABASE_URL=postgres://… (the ceiling is PostgreSQL's)")
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))


def run_pg_client(program: str, url: str, *args: str) -> subprocess.CompletedProcess:
    """Run psql or pgbench against the server of ``url`` with its credentials."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    return subprocess.run(
        [program, *connection, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PGPASSWORD": parts.password or ""},
    )


def psql_admin(url: str, sql: str) -> None:
    run_pg_client("psql", url, "-d", "postgres", "-q", "-c", sql)


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()


def item_period(n: int, periods: str) -> tuple[date, date]:
    """The 90 days (shared), or the ``n``-th of many sub-periods of them (mixed): 30 to 90 days
    from one of the first 60, which gives nearly every one of thousands of grants its own."""
    if periods == "shared":
        return START, END
    start = START + timedelta(days=(n * 7) % 60)
    return start, min(start + timedelta(days=29 + (n * 13) % 61), END)


def prepare(count: int, label: str, periods: str) -> list[int]:
    """One offering with room for everything, and ``count`` submitted applications of 1 unit."""
    from django.utils import timezone

    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Call, Organization
    from pool.models import CapacityPhase, Offering

    offering, _ = Offering.objects.get_or_create(name="Bench GPU", defaults={"kind": "gpu", "unit": "gpu"})
    CapacityPhase.objects.get_or_create(offering=offering, starts_on=date(2030, 1, 1), defaults={"units": 10**9})
    now = timezone.now()
    call = Call.objects.create(
        title=f"bench {label}",
        description="",
        opens_at=now - timezone.timedelta(days=1),
        deadline=now + timezone.timedelta(days=1),
        service_starts_on=START,
        service_ends_on=END,
        selection_target=10**6,
    )
    base = Organization.objects.count()
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"bench {base + n}",
            org_type="sme",
            registration_number=f"{base + n:09d}" + str(check_digit(f"{base + n:09d}")),
            region="gwangju",
            address="광주광역시 북구",
            industry="other",
            employees=1,
        )
        for n in range(count)
    )
    applications = Application.objects.bulk_create(
        Application(organization=o, call=call, status="submitted", submitted_at=now) for o in organizations
    )
    ApplicationItem.objects.bulk_create(
        ApplicationItem(application=a, offering=offering, quantity=1, starts_on=start, ends_on=end)
        for n, a in enumerate(applications)
        for start, end in [item_period(base + n, periods)]
    )
    return [a.pk for a in applications]


def work(url: str, application_ids: list[int], mode: str, queue) -> None:
    setup_django(url)
    from django.db import connection

    from allocations.services import decisions, provisioning
    from applications.models import Application

    done = 0
    if mode == "batched":
        for start in range(0, len(application_ids), BATCH):
            applications = list(Application.objects.filter(pk__in=application_ids[start : start + BATCH]))
            result = decisions.applications_approve(actor=None, applications=applications)
            if result.refused:
                raise RuntimeError(f"refused: {result.refused[0][1]}")
            # What the batch's message runs (allocations.provision_allocations): one transaction.
            done += len(provisioning.allocations_provision(allocation_ids=[a.pk for a in result.allocations]))
    else:
        for application_id in application_ids:
            application = Application.objects.get(pk=application_id)
            for allocation in decisions.application_approve(actor=None, application=application):
                provisioning.allocation_provision(allocation_id=allocation.pk)
                done += 1
    # Closed before reporting: the server flushes this session's statistics as it ends.
    connection.close()
    queue.put(done)


def run_workers(url: str, application_ids: list[int], workers: int, mode: str) -> tuple[int, float]:
    queue = multiprocessing.Queue()
    shares = [application_ids[n::workers] for n in range(workers)]
    processes = [multiprocessing.Process(target=work, args=(url, share, mode, queue)) for share in shares]
    started = time.perf_counter()
    for process in processes:
        process.start()
    done = sum(queue.get() for _ in processes)
    for process in processes:
        process.join()
    return done, time.perf_counter() - started


def ledger_row_updates() -> int:
    """Ledger rows updated so far, as PostgreSQL counts them (the workers' sessions have ended)."""
    from django.db import connection

    with connection.cursor() as cursor:
        # This session's own figures are flushed when it goes idle, at most once a second unless forced.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'allocations_capacityledger'")
        return cursor.fetchone()[0]


def settled_ledger_row_updates() -> int:
    """``ledger_row_updates`` once the ended sessions' figures have all arrived."""
    figure = ledger_row_updates()
    for _attempt in range(20):
        time.sleep(0.25)
        figure, previous = ledger_row_updates(), figure
        if figure == previous:
            break
    return figure


def vacuum_ledger() -> None:
    """Both sides start from a vacuumed ledger: dead row versions of the hot rows slow updates."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE allocations_capacityledger")


def pgbench_ceiling(url: str, offering_id: int, clients: int) -> float:
    from urllib.parse import urlsplit

    script = Path("/tmp/nai-dc-ledger-update.sql")
    script.write_text(LEDGER_UPDATE)
    result = run_pg_client(
        "pgbench", url, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(PGBENCH_SECONDS),
        "-D", f"offering={offering_id}", "-f", str(script), urlsplit(url).path.lstrip("/"),
    )  # fmt: skip
    return float(re.search(r"tps = ([0-9.]+)", result.stdout).group(1))


def measure_ceiling(url: str, offering_id: int, clients: int) -> float:
    """pgbench's tps on a vacuumed ledger; its increments are undone, so the ledger stays exact."""
    from django.db import connection

    vacuum_ledger()
    ceiling = pgbench_ceiling(url, offering_id, clients)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE allocations_capacityledger AS l SET reserved = (SELECT COALESCE(SUM(a.quantity), 0) "
            "FROM allocations_allocation a WHERE a.offering_id = l.offering_id AND a.state IN "
            "('pending', 'provisioning', 'active') AND l.day BETWEEN a.starts_on AND a.ends_on)"
        )
    return ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description="Provisioning throughput beside PostgreSQL's ceiling.")
    parser.add_argument("count", nargs="?", type=int, default=10_000, help="allocations per run (default 10,000)")
    parser.add_argument("--mode", choices=MODES, help="run this mode only (default: both)")
    parser.add_argument("--periods", choices=PERIODS, default="shared", help="the grants' periods (default: shared)")
    arguments = parser.parse_args()
    count, periods = arguments.count, arguments.periods
    modes = [arguments.mode] if arguments.mode else list(MODES)
    url = scratch_database_url()
    name = url.rsplit("/", 1)[1]
    psql_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    psql_admin(url, f'CREATE DATABASE "{name}"')
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from pool.models import Offering

    load_before = os.getloadavg()
    rows = []
    for workers in WORKERS:
        runs, ceilings = [], []
        for mode in modes:
            application_ids = prepare(count, f"{workers} workers, {mode}", periods)
            vacuum_ledger()
            updates_before = settled_ledger_row_updates()
            connection.close()
            done, seconds = run_workers(url, application_ids, workers, mode)
            runs.append((mode, done, seconds, settled_ledger_row_updates() - updates_before))
            # A ceiling after each run, on the same rows: on a shared machine the load drifts.
            ceilings.append(measure_ceiling(url, Offering.objects.get(name="Bench GPU").pk, workers))
        ceiling = sum(ceilings) / len(ceilings)
        for mode, done, seconds, updates in runs:
            rate = done / seconds
            rows.append(
                {
                    "workers": workers,
                    "mode": mode,
                    "periods": periods,
                    "allocations": done,
                    "ledger_row_updates": updates,
                    "seconds": round(seconds, 2),
                    "allocations_per_s": round(rate, 1),
                    "pgbench_tps": round(ceiling, 1),
                    "pgbench_tps_samples": [round(sample, 1) for sample in ceilings],
                    "ratio": round(rate / ceiling, 3),
                }
            )
    from allocations.ledger import ledger_drift

    drift = len(ledger_drift())
    print(
        f"{'workers':>7} {'mode':<10} {'allocations':>11} {'ledger row updates':>18} {'seconds':>8} {'alloc/s':>8} "
        f"{'pgbench tps':>11} {'ratio':>6}"
    )
    for row in rows:
        print(
            f"{row['workers']:>7} {row['mode']:<10} {row['allocations']:>11} {row['ledger_row_updates']:>18} "
            f"{row['seconds']:>8} {row['allocations_per_s']:>8} {row['pgbench_tps']:>11} {row['ratio']:>6.1%}"
        )
    described = "the same 90 days for every grant" if periods == "shared" else "30 to 90 of the 90 days"
    print(f"periods: {periods} ({described})")
    print(f"batched: {BATCH} applications per approval transaction; the ledger moves once per batch")
    print(
        f"pgbench tps: the mean of a {PGBENCH_SECONDS} s run after each mode's run (both: var/bench-provisioning.json)"
    )
    # Other work on the machine slows both sides, not always alike: say how busy it was.
    load_after = os.getloadavg()
    print(
        f"machine load average (1, 5, 15 min) before: {load_before[0]:.1f} {load_before[1]:.1f} "
        f"{load_before[2]:.1f}, after: {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f}"
    )
    print(f"check_capacity after the run: {'clean' if drift == 0 else f'{drift} drifted days'}")
    Path(ROOT / "var").mkdir(exist_ok=True)
    figures = {
        "rows": rows,
        "targets": [
            {
                "target": f"{row['mode']}, 4 workers: ≥ {TARGETS[row['mode']]:.0%} of the pgbench ceiling",
                "figure": f"{row['allocations_per_s']:,.1f} alloc/s = {row['ratio']:.1%} "
                f"of {row['pgbench_tps']:,.0f} tps",
                "met": row["ratio"] >= TARGETS[row["mode"]],
            }
            for row in rows
            if row["workers"] == max(WORKERS)
        ],
        "drift": drift,
        "batch": BATCH,
        "periods": periods,
        "load_before": load_before,
        "load_after": load_after,
    }
    (ROOT / "var" / "bench-provisioning.json").write_text(json.dumps(figures, indent=2))
    connection.close()
    psql_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    shutil.rmtree(ROOT / "var" / "bench", ignore_errors=True)


if __name__ == "__main__":
    main()
