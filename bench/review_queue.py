"""The reviewer's queue (the admin's application changelist) at 10, 10,000 and 100,000 applications.

Not a test: prints figures. Needs PostgreSQL. Builds a scratch database (<name>_bench_queue)
with one open call and 10 submitted applications (each asking for GPUs and storage, with a
priority claim), requests the queue as a reviewer ROUNDS times through Django's test client, in
process, with the production settings (DEBUG=0, the cached template loader; only the static
files' manifest and the HTTPS redirect are left out, as in bench/load_settings.py), then grows
the call to 10,000 and to 100,000 applications (in one INSERT … SELECT generate_series per
table, so the rank triggers run once per size) and requests the same pages again: the default
queue, the queue sorted by each sortable column (a click on its header), each filter, and a
search by name. Prints queries, median and p95 per page and size (a page is requested ROUNDS
times, or as often as fits in 10 s, at least once; a query still running after 30 s, gunicorn's
worker timeout, is cancelled and the page reported as timed out), the ratio to ColdFront's
figures of issue #21 and the targets, met or not; writes var/bench-review-queue.json (its
``rows`` as before, plus ``coldfront`` and ``targets``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/review_queue.py [ROUNDS]
"""

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Production settings, as bench/load_settings.py serves them over plain HTTP.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"
os.environ["LOG_LEVEL"] = "warning"
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench-queue"

from bench.harness import django_on_scratch, enrol_second_factor, percentile, recreate_database  # noqa: E402

SIZES = (10, 10_000, 100_000)
# Issue #21: ColdFront 1.1.10 on the same PostgreSQL, DEBUG off, the test client, median of 20.
COLDFRONT = {
    "admin changelist": {1_000: (243, 279.0), 10_000: (243, 378.0)},
    "request list": {1_000: (4_176, 3_300.0), 10_000: (41_676, 36_300.0)},
}
TARGET_QUERIES = 10
TARGET_MS = 60.0
TARGET_SPREAD = 2.0
QUEUE = "/admin/applications/application/"
BUDGET_SECONDS = 10
TIMEOUT_SECONDS = 30


def grow(call, offerings, size: int) -> None:
    """Add submitted applications to ``call`` until it has ``size``: a GPU and a storage item
    each, one priority claim in every verification state, scores 0-60, distinct submission times.
    One INSERT … SELECT generate_series per table: the rank triggers recompute the call once."""
    from django.db import connection

    from applications.models import Application

    start = Application.objects.filter(call=call).count()
    gpu, storage = offerings
    org_types, regions = ["sme", "venture", "university", "public"], ["gwangju", "seoul", "gyeonggi", "busan"]
    industries = ["automotive", "energy", "healthcare", "other"]
    kinds, verifications = ["gwangju_located", "relocating", "cluster_participant"], ["pending", "verified", "rejected"]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO applications_organization
              (legal_name, org_type, registration_number, region, address, industry, employees,
               website, listed_publicly, created_at)
            SELECT '심사 대기 기관 ' || n, (%s::text[])[mod(n, 4) + 1], lpad((5000000000 + n)::text, 10, '0'),
                   (%s::text[])[mod(n, 4) + 1], '광주광역시 북구', (%s::text[])[mod(n, 4) + 1],
                   10 + mod(n, 90), '', false, now()
              FROM generate_series(%s, %s) AS n
            """,
            [org_types, regions, industries, start, size - 1],
        )
        cursor.execute(
            """
            INSERT INTO applications_application
              (organization_id, call_id, status, submitted_at, priority_score, priority_pending, purpose,
               project_title, title_listed_publicly, summary, plan, expected_outcome, industry_domain,
               business_certificate, created_at, updated_at)
            SELECT organization.id, %s, 'submitted', now() - (n || ' minutes')::interval, mod(n, 7) * 10, 0,
                   'training', '심사 대기 과제', false, '', '', '', '', '', now(), now()
              FROM generate_series(%s, %s) AS n
              JOIN applications_organization AS organization
                ON organization.registration_number = lpad((5000000000 + n)::text, 10, '0')
            """,
            [call.pk, start, size - 1],
        )
        for offering, quantity in ((gpu, 8), (storage, 50)):
            cursor.execute(
                """
                INSERT INTO applications_applicationitem (application_id, offering_id, quantity, starts_on, ends_on)
                SELECT id, %s, %s, %s, %s FROM applications_application
                 WHERE call_id = %s AND id NOT IN (
                   SELECT application_id FROM applications_applicationitem WHERE offering_id = %s)
                """,
                [offering.pk, quantity, call.service_starts_on, call.service_ends_on, call.pk, offering.pk],
            )
        cursor.execute(
            """
            INSERT INTO applications_priorityclaim
              (application_id, kind, details, relocation_target, evidence, verification, verification_note)
            SELECT id, (%s::text[])[mod(id, 3) + 1], '', '', '', (%s::text[])[mod(id, 3) + 1], ''
              FROM applications_application
             WHERE call_id = %s AND id NOT IN (SELECT application_id FROM applications_priorityclaim)
            """,
            [kinds, verifications, call.pk],
        )


def measure(client, label: str, path: str, rounds: int, size: int) -> dict:
    """Request ``path`` ``rounds`` times, or fewer when they take longer than ``BUDGET_SECONDS``
    together (at least once). A query running past ``TIMEOUT_SECONDS`` (gunicorn's worker timeout,
    after which a reviewer gets an error page in production) is cancelled and reported as such."""
    from django.db import OperationalError, connection
    from django.test.utils import CaptureQueriesContext

    times, queries, spent, timed_out = [], 0, 0.0, False
    while len(times) < rounds and (not times or spent < BUDGET_SECONDS):
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {TIMEOUT_SECONDS * 1000}")
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            try:
                response = client.get(path)
            except OperationalError:  # the statement timeout cancelled the page's query
                timed_out = True
            elapsed = time.perf_counter() - started
        if timed_out:
            times.append(elapsed * 1000)
            break
        assert response.status_code == 200, (path, response.status_code)
        times.append(elapsed * 1000)
        spent += elapsed
        queries = len(captured)
    times.sort()
    return {
        "applications": size,
        "page": label,
        "path": path,
        "requests": len(times),
        "timed_out": timed_out,
        "rows_shown": 0 if timed_out else response.content.count(b'name="_selected_action"'),
        "queries": len(captured) if timed_out else queries,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
    }


def pages(columns: list[str]) -> list[tuple[str, str]]:
    """The default queue, the queue sorted by each sortable column (the changelist's ``o`` counts
    the action check box's column first), each filter, and a search."""
    from review.admin.applications import ApplicationAdmin

    sortable = [
        name
        for name in ApplicationAdmin.list_display
        if getattr(getattr(ApplicationAdmin, name, None), "admin_order_field", None)
        or name == "submitted_at"
        or name == "status"
    ]
    index = {name: columns.index(name) for name in sortable}
    return [
        ("queue", QUEUE),
        *[(f"sorted by {name}", f"{QUEUE}?o={index[name]}") for name in sortable],
        ("sorted by requested_gpu, descending", f"{QUEUE}?o=-{index['requested_gpu']}"),
        ("filtered: call", f"{QUEUE}?call__id__exact={{call}}"),
        ("filtered: status", f"{QUEUE}?status__exact=submitted"),
        ("filtered: claim", f"{QUEUE}?claim_kind=gwangju_located"),
        ("filtered: submitted, claim", f"{QUEUE}?status__exact=submitted&claim_kind=gwangju_located"),
        ("filtered: organisation type", f"{QUEUE}?organization__org_type__exact=venture"),
        ("filtered: industry", f"{QUEUE}?organization__industry__exact=energy"),
        ("filtered: purpose", f"{QUEUE}?purpose__exact=training"),
        ("filtered: region", f"{QUEUE}?organization__region__exact=gwangju"),
        ("filtered: overdue reports", f"{QUEUE}?overdue_reports=no"),
        ("search: organisation name", f"{QUEUE}?q=%EA%B8%B0%EA%B4%80+7"),
    ]


def coldfront_ratios(rows: list[dict]) -> list[dict]:
    """Our default page beside ColdFront's at 10,000 (issue #21; ColdFront was not measured at
    100,000: its 10,000 figures are the comparison there, for ten times the applications)."""
    ratios = []
    for size in (10_000, 100_000):
        ours = next((r for r in rows if r["applications"] == size and r["page"] == "queue"), None)
        if ours is None:
            continue
        for page, figures in COLDFRONT.items():
            queries, median = figures[10_000]
            ratios.append(
                {
                    "applications": size,
                    "coldfront_page": page,
                    "coldfront_applications": 10_000,
                    "coldfront_queries": queries,
                    "coldfront_median_ms": median,
                    "queries": ours["queries"],
                    "median_ms": ours["median_ms"],
                    "time_ratio": round(ours["median_ms"] / median, 3),
                    "query_ratio": round(ours["queries"] / queries, 4),
                }
            )
    return ratios


def targets(rows: list[dict]) -> list[dict]:
    """Issue #21's targets for the queue, each with its figures and whether it is met."""
    found = []
    # The same page at 10 applications in the same run: on a shared machine, what the page costs
    # without any call to speak of (the target's "flat in N" is this ratio).
    smallest = next((r for r in rows if r["applications"] == min(r["applications"] for r in rows)), None)
    for size in (10_000, 100_000):
        default = next((r for r in rows if r["applications"] == size and r["page"] == "queue"), None)
        if default is None:
            continue
        met = default["queries"] <= TARGET_QUERIES and default["median_ms"] <= TARGET_MS and not default["timed_out"]
        found.append(
            {
                "target": f"default queue page at {size:,} applications: ≤ {TARGET_QUERIES} queries, "
                f"median ≤ {TARGET_MS:.0f} ms",
                "figure": f"{default['queries']} queries, median {default['median_ms']} ms"
                + (
                    f" ({default['median_ms'] / smallest['median_ms']:.2f}× the page at "
                    f"{smallest['applications']:,} applications in the same run, {smallest['median_ms']} ms)"
                    if smallest and smallest["page"] == "queue" and smallest["applications"] < size
                    else ""
                ),
                "met": met,
            }
        )
    spreads = []
    for size in (10_000, 100_000):
        default = next((r for r in rows if r["applications"] == size and r["page"] == "queue"), None)
        if default is None:
            continue
        others = [r for r in rows if r["applications"] == size and r["page"] != "queue"]
        worst = max(others, key=lambda r: r["median_ms"])
        spreads.append((size, worst, round(worst["median_ms"] / default["median_ms"], 2), default))
    if spreads:
        met = all(ratio <= TARGET_SPREAD and not worst["timed_out"] for _size, worst, ratio, _default in spreads)
        found.append(
            {
                "target": f"every sort and filter within {TARGET_SPREAD:.0f}× of the default page "
                "(10,000 and 100,000 applications)",
                "figure": "; ".join(
                    f"{size:,}: worst {worst['page']} {worst['median_ms']} ms = {ratio}× "
                    f"the default {default['median_ms']} ms"
                    for size, worst, ratio, default in spreads
                ),
                "met": met,
            }
        )
    return found


def queue_world():
    """Migrate, then one open call for 2031 offering a GPU pool and a storage pool of a million
    units each, and a reviewer with a second factor (staff open the admin once they have one:
    accounts/second_factor.py). Returns ``(call, (gpu, storage), reviewer)``."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import REVIEWERS
    from applications.models import Call, CallOffering
    from pool.models import CapacityPhase, Offering

    call_command("migrate", verbosity=0)
    gpu = Offering.objects.create(name="A100 GPU", kind="gpu", unit="gpu")
    storage = Offering.objects.create(name="Storage", kind="storage", unit="tb")
    for offering in (gpu, storage):
        CapacityPhase.objects.create(offering=offering, starts_on=date(2030, 1, 1), units=10**6)
    now = timezone.now()
    call = Call.objects.create(
        title="2031 상반기 자원 지원 공고",
        description="",
        opens_at=now - timedelta(days=30),
        deadline=now + timedelta(days=1),
        service_starts_on=date(2031, 1, 1),
        service_ends_on=date(2031, 6, 30),
        selection_target=100,
    )
    for offering in (gpu, storage):
        CallOffering.objects.create(call=call, offering=offering, max_per_application=1000)
    reviewer = User.objects.create_user(email="bench-reviewer@portal.test", password=None, is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    enrol_second_factor(reviewer)
    return call, (gpu, storage), reviewer


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    sizes = tuple(int(size) for size in os.environ.get("BENCH_QUEUE_SIZES", "").split(",") if size) or SIZES
    url = django_on_scratch("_bench_queue")
    from django.db import connection
    from django.test import Client

    from review.admin.applications import ApplicationAdmin

    try:
        call, (gpu, storage), reviewer = queue_world()
        client = Client()
        client.force_login(reviewer)

        rows = []
        columns = ["action_checkbox", *ApplicationAdmin.list_display]
        for size in sizes:
            started = time.perf_counter()
            grow(call, (gpu, storage), size)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            built_in = time.perf_counter() - started
            client.get(QUEUE)  # warm the template loader and the connection
            for label, path in pages(columns):
                rows.append(measure(client, label, path.replace("{call}", str(call.pk)), rounds, size))
            print(f"{size:,} applications built in {built_in:.0f} s", flush=True)

        print(f"reviewer queue: {rounds} requests each, in process (Django test client, DEBUG=0), PostgreSQL")
        print(
            f"{'applications':>12} {'page':<38} {'rows':>5} {'requests':>8} {'queries':>7} {'median ms':>10} "
            f"{'p95 ms':>8}"
        )
        for row in rows:
            print(
                f"{row['applications']:>12,} {row['page']:<38} {row['rows_shown']:>5} {row['requests']:>8} "
                f"{row['queries']:>7} {row['median_ms']:>10} {row['p95_ms']:>8}"
                + (f"  cancelled after {TIMEOUT_SECONDS} s" if row["timed_out"] else "")
            )
        ratios = coldfront_ratios(rows)
        print("\nbeside ColdFront 1.1.10 (issue #21, 10,000 pending):")
        for ratio in ratios:
            print(
                f"  ours at {ratio['applications']:>7,}: {ratio['queries']} q, {ratio['median_ms']} ms; "
                f"ColdFront's {ratio['coldfront_page']}: {ratio['coldfront_queries']:,} q, "
                f"{ratio['coldfront_median_ms']:,.0f} ms -> {ratio['time_ratio']:.3f}× its time, "
                f"{ratio['query_ratio']:.4f}× its queries"
            )
        found = targets(rows)
        print("\ntargets:")
        for target in found:
            print(f"  {'met' if target['met'] else 'NOT met':<8} {target['target']}: {target['figure']}")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "bench-review-queue.json").write_text(
            json.dumps({"rounds": rounds, "rows": rows, "coldfront": ratios, "targets": found}, indent=2)
        )
    finally:
        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
