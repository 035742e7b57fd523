"""The staff's API at scale: the queue endpoint of a call with 10,000 applications, a page of 100,
beside the admin's queue of the same call; and the allocations' changes feed over 100,000
allocations, page by page.

Not a test: prints figures. Needs PostgreSQL. Builds a scratch database (<name>_bench_api), a call
grown to 10,000 submitted applications as bench/review_queue.py grows it (a GPU and a storage item
each, a priority claim), a reviewer with a second factor and a staff token, and requests in process
(Django's test client, the production settings: DEBUG=0) ROUNDS times each:

- the admin's queue of the call (``/admin/applications/application/?call__id__exact=…``, its page
  of 100) and the API's (``/api/v1/staff/calls/<id>/queue/?page_size=100``) with the token;
- then the call grown to 50,000 applications, 100,000 allocations made of all the items
  (one INSERT … SELECT; the feed's triggers number them at the commit), and the changes feed read
  from the start, from the middle (a cursor half-way) and at its end, a page of 100 each.

Prints queries and median/p95 per page and the targets: the queue page in at most 10 queries and
within 3× the admin queue's median; every feed page in at most 5 queries. Writes var/bench-api.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/api.py [ROUNDS]
"""

import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"
os.environ["LOG_LEVEL"] = "warning"
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench-api"
os.environ["API_RATE_PER_TOKEN"] = "1000000/min"

from bench.harness import django_on_scratch, percentile, recreate_database  # noqa: E402

QUEUE_APPLICATIONS = 10_000
FEED_ALLOCATIONS = 100_000
PAGE = 100
TARGET_QUEUE_QUERIES = 10
TARGET_QUEUE_RATIO = 3.0
TARGET_FEED_QUERIES = 5


def measure(client, label: str, path: str, rounds: int, **headers) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path, **headers)  # warm: templates, the token's "last used" (written once a minute)
    times, queries = [], []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, **headers)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:500])
        queries.append(len(captured))
    times.sort()
    return {
        "case": label,
        "path": path,
        "requests": rounds,
        "queries": max(queries),
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "response": response,
    }


def make_allocations(call_ids: list[int]) -> None:
    """One allocation per requested item of the calls (expired and failed ones, which hold no
    capacity, so the ledger is not involved), in one statement."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO allocations_allocation
              (organization_id, application_item_id, offering_id, quantity, starts_on, ends_on, state,
               external_ref, attempts, last_error, created_at, state_changed_at)
            SELECT application.organization_id, item.id, item.offering_id, item.quantity, item.starts_on,
                   item.ends_on, CASE WHEN mod(item.id, 10) = 0 THEN 'failed' ELSE 'expired' END,
                   'quota/' || item.id, 1, '', now(), now()
              FROM applications_applicationitem AS item
              JOIN applications_application AS application ON application.id = item.application_id
             WHERE application.call_id = ANY(%s)
             ORDER BY item.id
             LIMIT %s
            """,
            [call_ids, FEED_ALLOCATIONS],
        )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    url = django_on_scratch("_bench_api")
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from api.models import AllocationChange
    from api.services import token_create
    from bench.review_queue import grow, queue_world

    try:
        call, (gpu, storage), reviewer = queue_world()
        _row, token = token_create(
            actor=reviewer, name="bench", scopes={"read", "staff"}, expires_at=timezone.now() + timedelta(days=1)
        )
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        admin = Client()
        admin.force_login(reviewer)
        api = Client()

        started = time.perf_counter()
        grow(call, (gpu, storage), QUEUE_APPLICATIONS)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"{QUEUE_APPLICATIONS:,} applications built in {time.perf_counter() - started:.0f} s", flush=True)
        admin_queue = f"/admin/applications/application/?call__id__exact={call.pk}"
        api_queue = f"/api/v1/staff/calls/{call.pk}/queue/?page_size={PAGE}"
        rows = [
            measure(admin, "admin queue of the call", admin_queue, rounds),
            measure(api, "API queue of the call", api_queue, rounds, **bearer),
        ]
        assert len(rows[1]["response"].json()["results"]) == PAGE

        started = time.perf_counter()
        grow(call, (gpu, storage), FEED_ALLOCATIONS // 2)
        make_allocations([call.pk])
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        numbered = AllocationChange.objects.filter(sequence__isnull=False).count()
        assert numbered == FEED_ALLOCATIONS, numbered
        print(f"{FEED_ALLOCATIONS:,} allocations built in {time.perf_counter() - started:.0f} s", flush=True)
        feed = f"/api/v1/staff/allocations/changes/?page_size={PAGE}"
        first = measure(api, "changes feed: first page", feed, rounds, **bearer)
        middle_cursor = first["response"].json()["next"].split("cursor=")[1].split("&")[0]
        from api import feeds

        sequences = sorted(AllocationChange.objects.values_list("sequence", flat=True))
        middle = feeds.encode(sequences[len(sequences) // 2])
        last = feeds.encode(sequences[-PAGE // 2])
        rows += [
            first,
            measure(api, "changes feed: second page", f"{feed}&cursor={middle_cursor}", rounds, **bearer),
            measure(api, "changes feed: a page half-way", f"{feed}&cursor={middle}", rounds, **bearer),
            measure(api, "changes feed: the last page", f"{feed}&cursor={last}", rounds, **bearer),
        ]
        started = time.perf_counter()
        url, pages, seen = feed, 0, 0
        while pages < 1000:
            page = api.get(url, **bearer).json()
            pages += 1
            seen += len(page["results"])
            if len(page["results"]) < PAGE:
                break
            url = page["next"].removeprefix("http://testserver")
        walked = {"pages": pages, "allocations": seen, "seconds": round(time.perf_counter() - started, 1)}

        for row in rows:
            row.pop("response")
        admin_ms, queue = rows[0]["median_ms"], rows[1]
        feed_rows = rows[2:]
        found = [
            {
                "target": f"queue page of {PAGE} at {QUEUE_APPLICATIONS:,} applications: ≤ {TARGET_QUEUE_QUERIES} "
                f"queries, ≤ {TARGET_QUEUE_RATIO:.0f}× the admin queue's median",
                "figure": f"{queue['queries']} queries, median {queue['median_ms']} ms = "
                f"{queue['median_ms'] / admin_ms:.2f}× the admin queue's {admin_ms} ms",
                "met": queue["queries"] <= TARGET_QUEUE_QUERIES and queue["median_ms"] <= TARGET_QUEUE_RATIO * admin_ms,
            },
            {
                "target": f"changes feed over {FEED_ALLOCATIONS:,} allocations: "
                f"≤ {TARGET_FEED_QUERIES} queries per page",
                "figure": f"at most {max(r['queries'] for r in feed_rows)} queries; slowest median "
                f"{max(r['median_ms'] for r in feed_rows)} ms; the whole feed in {walked['pages']:,} pages "
                f"({walked['allocations']:,} allocations) in {walked['seconds']} s",
                "met": max(r["queries"] for r in feed_rows) <= TARGET_FEED_QUERIES
                and walked["allocations"] == FEED_ALLOCATIONS,
            },
        ]
        print(f"staff API: {rounds} requests each, in process (Django test client, DEBUG=0), PostgreSQL")
        print(f"{'case':<34} {'queries':>7} {'median ms':>10} {'p95 ms':>8}")
        for row in rows:
            print(f"{row['case']:<34} {row['queries']:>7} {row['median_ms']:>10} {row['p95_ms']:>8}")
        print(f"whole feed: {walked}")
        print("\ntargets:")
        for target in found:
            print(f"  {'met' if target['met'] else 'NOT met':<8} {target['target']}: {target['figure']}")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "bench-api.json").write_text(
            json.dumps({"rounds": rounds, "rows": rows, "walked": walked, "targets": found}, indent=2)
        )
    finally:
        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
