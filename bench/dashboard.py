"""The operator's dashboard at scale, beside a minimal Django page measured in the same run.

Not a test: prints figures. Needs PostgreSQL. Builds a scratch database (<name>_bench_dashboard)
with 20,000 applications and 100,000 allocations over six offerings and three years, then
requests the dashboard (and the public statistics) through Django's test client as an operator,
ROUNDS times each, and a minimal page (a view that returns one line of text through the same
middleware) as often. Prints queries, median and p95.

The allocations are inserted with the ledger triggers switched off for the session (bulk data,
not grants); the ledger is then summed from them in one statement, and the dashboard's daily
usage changes (which the same triggers keep) recomputed from them, so that both are exact.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/dashboard.py [ROUNDS]
"""

import json
import os
import random
import statistics
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

# An application asks for each offering at most once and an item yields at most one allocation,
# so 100,000 allocations need 20,000 applications of five items each (the issue asks for at
# least 10,000 applications and 100,000 allocations).
APPLICATIONS = 20_000
ALLOCATIONS = 100_000
OFFERINGS = (("gpu", "gpu", "19.5"), ("cpu", "core", "0.05"), ("storage", "tb", None),
             ("data_lake", "tb", None), ("ai_dev_env", "seat", None), ("saas", "seat", None))  # fmt: skip


def scratch_database_url() -> str:
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("bench/dashboard.py needs DATABASE_URL=postgres://…")
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench_dashboard"))


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    from bench.provisioning import psql_admin

    name = url.rsplit("/", 1)[1]
    psql_admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    if not drop_only:
        psql_admin(url, f'CREATE DATABASE "{name}"')


def build(today: date) -> int:
    """20,000 applications to 20 calls and 100,000 allocations; returns the latest call's id."""
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from allocations.models import Allocation
    from allocations.usage import usage_changes_rebuild
    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Call, Organization, PriorityClaim
    from applications.regions import Region
    from pool.capacity import lock_ledger
    from pool.models import CapacityPhase, Offering

    rng = random.Random(2026)
    first_day, last_day = today - timedelta(days=730), today + timedelta(days=365)
    offerings = []
    for kind, unit, tflops in OFFERINGS:
        offering = Offering.objects.create(
            name=f"bench {kind}", kind=kind, unit=unit, unit_tflops=Decimal(tflops) if tflops else None
        )
        CapacityPhase.objects.create(offering=offering, starts_on=first_day, units=10**7)
        CapacityPhase.objects.create(offering=offering, starts_on=today - timedelta(days=200), units=2 * 10**7)
        offerings.append(offering)
    now = timezone.now()
    calls = Call.objects.bulk_create(
        Call(
            title=f"bench call {n}",
            description="",
            opens_at=now - timedelta(days=700 - 35 * n),
            deadline=now - timedelta(days=680 - 35 * n),
            service_starts_on=first_day + timedelta(days=35 * n + 30),
            service_ends_on=first_day + timedelta(days=35 * n + 300),
            selection_target=500,
        )
        for n in range(20)
    )
    regions, industries = Region.values, ["automotive", "energy", "healthcare", "cultural_content", "other"]
    organizations = Organization.objects.bulk_create(
        (
            Organization(
                legal_name=f"벤치 기관 {n}",
                org_type=rng.choice(["sme", "venture", "university", "public", "mid_sized"]),
                registration_number=f"{600_000_000 + n:09d}" + str(check_digit(f"{600_000_000 + n:09d}")),
                region=rng.choice(regions),
                address="광주광역시 북구",
                industry=rng.choice(industries),
                employees=10,
                listed_publicly=n % 5 == 0,
            )
            for n in range(APPLICATIONS)
        ),
        batch_size=2000,
    )
    statuses = ["approved"] * 5 + ["waitlisted", "rejected", "submitted", "draft", "withdrawn"]
    applications = Application.objects.bulk_create(
        (
            Application(
                organization=organization,
                call=calls[n % len(calls)],
                status=(status := rng.choice(statuses)),
                submitted_at=None if status == "draft" else now - timedelta(days=rng.randint(0, 700)),
                purpose=rng.choice(["training", "inference", "analytics"]),
                project_title="벤치 과제",
                priority_score=rng.randint(0, 60),
            )
            for n, organization in enumerate(organizations)
        ),
        batch_size=2000,
    )
    PriorityClaim.objects.bulk_create(
        (PriorityClaim(application=a, kind="gwangju_located") for a in applications if rng.random() < 0.4),
        batch_size=2000,
    )
    # Five items per application, each granted: 100,000 allocations in every state, spread over
    # three years, so that the dashboard's aggregates have real work to do.
    states = ["active"] * 4 + ["expired"] * 4 + ["revoked", "pending", "provisioning", "failed"]
    with transaction.atomic():
        lock_ledger([(offering.pk, first_day, last_day) for offering in offerings])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers: bulk data
        for start in range(0, APPLICATIONS, 1000):
            items = ApplicationItem.objects.bulk_create(
                ApplicationItem(
                    application=application,
                    offering=offerings[(n + k) % len(offerings)],
                    quantity=rng.randint(1, 64),
                    starts_on=(first_day + timedelta(days=(s := rng.randint(0, 900)))),
                    ends_on=first_day + timedelta(days=s + rng.randint(30, 180)),
                )
                for n, application in enumerate(applications[start : start + 1000])
                for k in range(ALLOCATIONS // APPLICATIONS)
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
                        state=rng.choice(states),
                    )
                    for item in items
                ),
                batch_size=1000,
            )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                """
                UPDATE allocations_capacityledger AS l SET reserved = s.total
                  FROM (SELECT a.offering_id, d::date AS day, SUM(a.quantity) AS total
                          FROM allocations_allocation a
                         CROSS JOIN LATERAL generate_series(a.starts_on, a.ends_on, interval '1 day') AS d
                         WHERE a.state IN ('pending', 'provisioning', 'active')
                         GROUP BY 1, 2) AS s
                 WHERE l.offering_id = s.offering_id AND l.day = s.day
                """
            )
        # The dashboard's daily usage changes, which the same triggers keep, from the allocations.
        usage_changes_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return calls[-1].pk


def measure(client, path: str, rounds: int, *, cold: bool = False) -> dict:
    """Request ``path`` ``rounds`` times; ``cold`` empties Django's cache before each request, so
    the dashboard computes every figure (otherwise it serves its cached sections)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm the template loader
    times, queries = [], 0
    for _ in range(rounds):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries = len(captured)
    times.sort()
    return {
        "path": path + (" (cold)" if cold else ""),
        "queries": queries,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
    }


# Issue #21's target: the cold dashboard (every figure computed) with a call and without, at this
# size, within 20× the minimal view's median and at most 20 queries.
TARGET_RATIO = 20
TARGET_QUERIES = 20


def dashboard_targets(rows: list[dict], minimal_ms: float) -> list[dict]:
    """One target per cold /ops/ row: {"target", "figure", "met"}."""
    targets = []
    for row in rows:
        if not (row["path"].startswith("/ops/") and row["path"].endswith("(cold)")):
            continue
        ratio = row["median_ms"] / minimal_ms if minimal_ms else float("inf")
        page = "with a call" if not row["path"].startswith("/ops/?call= ") else "all calls"
        targets.append(
            {
                "target": f"dashboard cold ({page}) ≤ {TARGET_RATIO}× the minimal view and ≤ {TARGET_QUERIES} queries",
                "figure": f"{ratio:.1f}× ({row['median_ms']} ms / {minimal_ms} ms), {row['queries']} queries",
                "met": ratio <= TARGET_RATIO and row["queries"] <= TARGET_QUERIES,
            }
        )
    return targets


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20  # BENCH_PROFILE=1: profile one request
    url = scratch_database_url()
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import clear_url_caches, path
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import OPERATORS

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_id = build(timezone.localdate())
    built_in = time.perf_counter() - started

    # Two minimal pages through the same middleware: one that returns a word (no template, no
    # session read), and the floor of any page of the portal: the logged-in user's session and
    # the site's base template around one word.
    from django.template import engines

    import portal.urls

    page = engines["django"].from_string('{% extends "base.html" %}{% block content %}ok{% endblock %}')
    portal.urls.urlpatterns += [
        path("bench-minimal/", lambda request: HttpResponse("ok")),
        path("bench-base-page/", lambda request: HttpResponse(page.render({}, request))),
    ]
    clear_url_caches()

    operator = User.objects.create_user(email="bench-operator@portal.test", password="x", is_staff=True)
    from django.contrib.auth.models import Group

    operator.groups.add(Group.objects.get(name=OPERATORS))
    # Staff need a second factor before any page opens (accounts/second_factor.py).
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(operator, generate_totp_secret())
    client = Client()
    client.force_login(operator)
    rows = [
        measure(client, "/bench-minimal/", rounds),
        measure(client, "/bench-base-page/", rounds),
        measure(client, f"/ops/?call={call_id}", rounds, cold=True),
        measure(client, f"/ops/?call={call_id}", rounds),
        measure(client, "/ops/?call=", rounds, cold=True),
        measure(client, "/ops/?call=", rounds),
        measure(Client(), "/statistics/", rounds),
    ]
    if os.environ.get("BENCH_PROFILE"):  # where a dashboard request spends its time
        import cProfile
        import pstats

        from django.db import connection, reset_queries

        settings.DEBUG = True
        reset_queries()
        with cProfile.Profile() as profile:
            client.get(f"/ops/?call={call_id}")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        for query in sorted(connection.queries, key=lambda q: -float(q["time"]))[:8]:
            print(query["time"], query["sql"][:300])
    minimal, base_page = rows[0]["median_ms"], rows[1]["median_ms"]
    from allocations.models import Allocation
    from applications.models import Application

    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]}, "
        f"{Application.objects.count():,} applications, {Allocation.objects.count():,} allocations "
        f"(built in {built_in:.0f} s), {rounds} requests each"
    )
    print(f"{'page':<38} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'× minimal':>10} {'× base page':>12}")
    for row in rows:
        row["ratio_to_minimal"] = round(row["median_ms"] / minimal, 1) if minimal else None
        row["ratio_to_base_page"] = round(row["median_ms"] / base_page, 1) if base_page else None
        print(
            f"{row['path']:<38} {row['queries']:>7} {row['median_ms']:>10} {row['p95_ms']:>8} "
            f"{row['ratio_to_minimal']:>10} {row['ratio_to_base_page']:>12}"
        )
    targets = dashboard_targets(rows, minimal)
    for target in targets:
        print(f"target: {target['target']}: {target['figure']}: {'met' if target['met'] else 'NOT met'}")
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-dashboard.json").write_text(
        json.dumps({"rounds": rounds, "rows": rows, "targets": targets}, indent=2)
    )
    from django.db import connection

    from allocations.ledger import ledger_drift
    from allocations.usage import usage_drift

    print(f"check_capacity on the built data: {'clean' if not (ledger_drift() or usage_drift()) else 'DRIFT'}")
    connection.close()
    recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
