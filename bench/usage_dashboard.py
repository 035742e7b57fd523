"""What people see of usage, at scale: the dashboard's used-vs-allocated charts over three years of
daily usage, the operator's usage page, and an allocation's page with a year of daily usage.

Not a test: prints figures. Needs PostgreSQL. Builds a scratch database (<name>_bench_usage) with
10,000 allocations over six offerings and three years (2,000 applications of five items), every
allocation in service with one usage record for each of its days up to yesterday (about 1.2
million records), and the totals that ingestion keeps (per offering and day, per allocation)
summed from them in SQL. Then requests, through Django's test client, cold (the cache emptied
before each request, so every figure is computed):

- the minimal page (a view returning one word, through the same middleware) and the portal's
  base page, the floors of issue #21;
- the dashboard's used-vs-allocated charts alone: the six capacity charts with their used line
  over the three years (each drawn from 1,096 days) and the table of figures under each, from the
  same ``DashboardFigures`` and templates as ``/ops/``, on the base page (``/bench-charts/``);
- ``/ops/`` for all calls over the three years (the charts and every other section), as an operator;
- ``/ops/usage/`` (usage rates per offering, the idle list, usage rates by call, industry and
  region), as an operator;
- ``/allocations/<pk>/`` of an allocation with a year of daily usage, as its organisation's member.

The targets (issue #19): the dashboard's charts over three years of daily usage for 10,000
allocations in at most 20 queries and within 10× the minimal page (cold: ``/bench-charts/``; the
whole ``/ops/`` is printed beside it); the allocation page with a year of daily usage in at most
10 queries. Writes var/bench-usage-dashboard.json.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/usage_dashboard.py [ROUNDS] [N]

(N: the number of allocations, 10,000 by default.)
"""

import json
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench"

from bench.harness import recreate_database, scratch_url  # noqa: E402

SEOUL = ZoneInfo("Asia/Seoul")
ALLOCATIONS = 10_000
ITEMS_PER_APPLICATION = 5  # an application asks for each offering at most once
YEARS_DAYS = 3 * 365 + 1  # the dashboard's longest period (MAX_RANGE_DAYS is 3 × 366)
OFFERINGS = (("gpu", "gpu", "19.5", "metered"), ("cpu", "core", "0.05", "reserved"),
             ("storage", "tb", None, "reserved"), ("data_lake", "tb", None, "reserved"),
             ("ai_dev_env", "seat", None, "reserved"), ("saas", "seat", None, "reserved"))  # fmt: skip

CHARTS_TEMPLATE = """{% extends "base.html" %}{% load i18n figures %}{% block content %}
{% for row, chart in figures.capacity %}
  <h3 class="h6">{{ row.offering.name }}</h3>
  {% include "dashboard/_capacity_chart.html" with chart=chart offering=row.offering %}
  <table class="table table-sm table-figures"><tbody>{% capacity_rows row.table row.used %}</tbody></table>
{% endfor %}{% endblock %}"""

# Issue #19's targets.
TARGET_CHART_RATIO = 10
TARGET_CHART_QUERIES = 20
TARGET_ALLOCATION_QUERIES = 10


def build(today: date, allocations: int) -> dict:
    """The allocations, their daily usage and its kept totals; returns the ids the pages need."""
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from allocations.models import Allocation
    from allocations.usage import usage_changes_rebuild
    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Call, Membership, Organization
    from applications.regions import Region
    from pool.capacity import lock_ledger
    from pool.models import CapacityPhase, Offering

    rng = random.Random(1919)
    first_day = today - timedelta(days=YEARS_DAYS - 1)
    last_day = today + timedelta(days=365)
    offerings = []
    for kind, unit, tflops, metering in OFFERINGS:
        offering = Offering.objects.create(
            name=f"bench {kind}",
            kind=kind,
            unit=unit,
            unit_tflops=Decimal(tflops) if tflops else None,
            metering=metering,
        )
        CapacityPhase.objects.create(offering=offering, starts_on=first_day, units=10**6)
        offerings.append(offering)
    now = timezone.now()
    calls = Call.objects.bulk_create(
        Call(
            title=f"bench call {n}",
            description="",
            opens_at=now - timedelta(days=1100 - 50 * n),
            deadline=now - timedelta(days=1080 - 50 * n),
            service_starts_on=first_day + timedelta(days=50 * n),
            service_ends_on=first_day + timedelta(days=50 * n + 400),
            selection_target=500,
        )
        for n in range(20)
    )
    applications_count = allocations // ITEMS_PER_APPLICATION
    industries = ["automotive", "energy", "healthcare", "cultural_content", "other"]
    organizations = Organization.objects.bulk_create(
        (
            Organization(
                legal_name=f"벤치 기관 {n}",
                org_type="sme",
                registration_number=f"{700_000_000 + n:09d}" + str(check_digit(f"{700_000_000 + n:09d}")),
                region=rng.choice(Region.values),
                address="광주광역시 북구",
                industry=rng.choice(industries),
                employees=10,
            )
            for n in range(applications_count)
        ),
        batch_size=2000,
    )
    applications = Application.objects.bulk_create(
        (
            Application(
                organization=organization,
                call=calls[n % len(calls)],
                status="approved",
                submitted_at=now - timedelta(days=rng.randint(0, 1000)),
                purpose="training",
                project_title="벤치 과제",
            )
            for n, organization in enumerate(organizations)
        ),
        batch_size=2000,
    )
    # Mostly in service (active now, or expired), some revoked, pending or failed; each lasting 30
    # to 300 days from a day of the three years (the active ones run through today).
    states = ["expired"] * 6 + ["active"] * 3 + ["revoked"]
    with transaction.atomic():
        lock_ledger([(offering.pk, first_day, last_day) for offering in offerings])
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers: bulk data
        for start in range(0, applications_count, 1000):
            rows = []
            for n, application in enumerate(applications[start : start + 1000]):
                for k in range(ITEMS_PER_APPLICATION):
                    state = rng.choice(states)
                    length = rng.randint(30, 300)
                    if state == "active":
                        starts_on = today - timedelta(days=rng.randint(0, length - 1))
                    else:
                        starts_on = first_day + timedelta(days=rng.randint(0, YEARS_DAYS - length - 1))
                    rows.append((application, offerings[(n + k) % len(offerings)], state, starts_on, length))
            items = ApplicationItem.objects.bulk_create(
                ApplicationItem(
                    application=application,
                    offering=offering,
                    quantity=rng.randint(1, 64),
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(days=length - 1),
                )
                for application, offering, _state, starts_on, length in rows
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
                        state=state,
                        # A revoked one was revoked on its 21st day (in service for 20).
                        state_changed_at=now
                        if state != "revoked"
                        else datetime(*(item.starts_on + timedelta(days=20)).timetuple()[:3], 10, tzinfo=SEOUL),
                    )
                    for item, (_application, _offering, state, _starts_on, _length) in zip(items, rows, strict=True)
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
        usage_changes_rebuild()
    # A record for each day in service up to yesterday: a share of the day's grant that depends on
    # the allocation (its profile) and the day; unit-hours for GPUs and cores, units otherwise.
    yesterday = today - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO metering_usagerecord (allocation_id, day, source, used, collected_at)
            SELECT a.id, d::date, 'modelled',
                   round((a.quantity * (CASE WHEN o.unit IN ('gpu', 'core') THEN 24 ELSE 1 END)
                          * LEAST(0.95, (a.id %% 10) / 10.0 * (0.5 + 0.5 * abs(sin(a.id + (d::date - a.starts_on))))))
                         ::numeric, 3),
                   now()
              FROM allocations_allocation a
              JOIN allocations_offering o ON o.id = a.offering_id
             CROSS JOIN LATERAL generate_series(
                   a.starts_on,
                   LEAST(a.ends_on, %(yesterday)s,
                         CASE WHEN a.state = 'revoked'
                              THEN ((a.state_changed_at AT TIME ZONE 'Asia/Seoul')::date - 1) ELSE a.ends_on END),
                   interval '1 day') AS d
             WHERE a.state IN ('active', 'expired', 'revoked')
            """,
            {"yesterday": yesterday},
        )
        cursor.execute(
            """
            INSERT INTO metering_offeringdayusage (offering_id, day, used)
            SELECT a.offering_id, r.day, SUM(r.used)
              FROM metering_usagerecord r JOIN allocations_allocation a ON a.id = r.allocation_id
             GROUP BY 1, 2
            """
        )
        cursor.execute(
            """
            INSERT INTO metering_allocationusage (allocation_id, used_total, last_day, last_used_on)
            SELECT allocation_id, SUM(used), MAX(day), MAX(day) FILTER (WHERE used > 0)
              FROM metering_usagerecord GROUP BY allocation_id
            """
        )
        cursor.execute("SELECT COUNT(*) FROM metering_usagerecord")
        records = cursor.fetchone()[0]
    # The allocation page's allocation: a year of daily usage, up to yesterday, for a member.
    member_org = organizations[0]
    call = calls[-1]
    application = Application.objects.create(
        organization=member_org,
        call=call,
        status="approved",
        submitted_at=now - timedelta(days=400),
        purpose="training",
        project_title="1년 사용",
    )
    year_start = today - timedelta(days=365)
    item = ApplicationItem.objects.create(
        application=application, offering=offerings[0], quantity=8, starts_on=year_start, ends_on=yesterday
    )
    with transaction.atomic():
        lock_ledger([(offerings[0].pk, year_start, yesterday)])
        year_allocation = Allocation.objects.create(
            organization=member_org,
            application_item=item,
            offering=offerings[0],
            quantity=8,
            starts_on=year_start,
            ends_on=yesterday,
            state="expired",
        )
    from metering.models import UsageSource
    from metering.services import usage_ingest

    for n in range(365):
        usage_ingest(
            source=UsageSource.MODELLED,
            day=year_start + timedelta(days=n),
            records={year_allocation.pk: Decimal(rng.randint(0, 192))},
        )
    member = User.objects.create_user(email="bench-member@portal.test", password="x")
    Membership.objects.create(organization=member_org, user=member, role=Membership.Role.OWNER)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "records": records,
        "year_allocation": year_allocation.pk,
        "member": member.pk,
        "first_day": first_day,
    }


def measure(client, path: str, rounds: int, *, cold: bool = True) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm the template loader
    times, queries, size = [], 0, 0
    for _ in range(rounds):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        queries, size = len(captured), len(response.content)
    times.sort()
    return {
        "path": path + (" (cold)" if cold else ""),
        "queries": queries,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "kb": round(size / 1024),
    }


def targets(rows: dict[str, dict], minimal_ms: float) -> list[dict]:
    charts, allocation = rows["charts"], rows["allocation"]
    ratio = charts["median_ms"] / minimal_ms if minimal_ms else float("inf")
    return [
        {
            "target": f"used-vs-allocated charts over 3 years of daily usage, {ALLOCATIONS:,} allocations, cold: "
            f"≤ {TARGET_CHART_QUERIES} queries and ≤ {TARGET_CHART_RATIO}× the minimal page",
            "figure": f"{charts['queries']} queries, {ratio:.1f}× ({charts['median_ms']} ms / {minimal_ms} ms)",
            "met": charts["queries"] <= TARGET_CHART_QUERIES and ratio <= TARGET_CHART_RATIO,
        },
        {
            "target": f"allocation page with a year of daily usage: ≤ {TARGET_ALLOCATION_QUERIES} queries",
            "figure": f"{allocation['queries']} queries, median {allocation['median_ms']} ms",
            "met": allocation["queries"] <= TARGET_ALLOCATION_QUERIES,
        },
    ]


def main() -> None:
    global ALLOCATIONS
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    ALLOCATIONS = int(sys.argv[2]) if len(sys.argv) > 2 else ALLOCATIONS
    url = scratch_url("_bench_usage")
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.template import engines
    from django.test import Client
    from django.urls import clear_url_caches, path
    from django.utils import timezone

    import portal.urls
    from accounts.models import User
    from accounts.roles import OPERATORS
    from dashboard.figures import DashboardFigures

    try:
        settings.ALLOWED_HOSTS = ["*"]
        call_command("migrate", verbosity=0)
        today = timezone.localdate()
        started = time.perf_counter()
        built = build(today, ALLOCATIONS)
        built_in = time.perf_counter() - started

        page = engines["django"].from_string('{% extends "base.html" %}{% block content %}ok{% endblock %}')
        # The dashboard's used-vs-allocated charts alone, as /ops/ draws them (each chart and the
        # table of its figures under it, from the same DashboardFigures), over the three years.
        charts_page = engines["django"].from_string(CHARTS_TEMPLATE)

        def charts(request):
            figures = DashboardFigures(None, built["first_day"], today, today)
            return HttpResponse(charts_page.render({"figures": figures}, request))

        portal.urls.urlpatterns += [
            path("bench-minimal/", lambda request: HttpResponse("ok")),
            path("bench-base-page/", lambda request: HttpResponse(page.render({}, request))),
            path("bench-charts/", charts),
        ]
        clear_url_caches()

        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
        from django.contrib.auth.models import Group

        operator = User.objects.create_user(email="bench-operator@portal.test", password="x", is_staff=True)
        operator.groups.add(Group.objects.get(name=OPERATORS))
        TOTP.activate(operator, generate_totp_secret())  # staff need a second factor before any page
        staff = Client()
        staff.force_login(operator)
        member = Client()
        member.force_login(User.objects.get(pk=built["member"]))
        three_years = f"/ops/?call=&start={built['first_day']:%Y-%m-%d}&end={today:%Y-%m-%d}"
        rows = {
            "minimal": measure(staff, "/bench-minimal/", rounds, cold=False),
            "base_page": measure(staff, "/bench-base-page/", rounds, cold=False),
            "charts": measure(staff, "/bench-charts/", rounds),
            "dashboard": measure(staff, three_years, rounds),
            "usage_page": measure(staff, "/ops/usage/?call=", rounds),
            "allocation": measure(member, f"/allocations/{built['year_allocation']}/", rounds),
        }
        if os.environ.get("BENCH_PROFILE"):  # where the charts' request spends its time
            import cProfile
            import pstats

            with cProfile.Profile() as profile:
                staff.get("/bench-charts/")
            pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(25)
        minimal = rows["minimal"]["median_ms"]
        print(
            f"database: PostgreSQL, {ALLOCATIONS:,} allocations, {built['records']:,} usage records over "
            f"{YEARS_DAYS:,} days (built in {built_in:.0f} s), {rounds} requests each"
        )
        print(f"{'page':<64} {'queries':>7} {'median ms':>10} {'p95 ms':>8} {'KB':>6} {'× minimal':>10}")
        for row in rows.values():
            row["ratio_to_minimal"] = round(row["median_ms"] / minimal, 1) if minimal else None
            print(
                f"{row['path']:<64} {row['queries']:>7} {row['median_ms']:>10} {row['p95_ms']:>8} "
                f"{row['kb']:>6} {row['ratio_to_minimal']:>10}"
            )
        goals = targets(rows, minimal)
        for goal in goals:
            print(f"target: {goal['target']}: {goal['figure']}: {'met' if goal['met'] else 'NOT met'}")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "bench-usage-dashboard.json").write_text(
            json.dumps(
                {
                    "rounds": rounds,
                    "allocations": ALLOCATIONS,
                    "records": built["records"],
                    "rows": list(rows.values()),
                    "targets": goals,
                },
                indent=2,
            )
        )
    finally:
        from django.db import connection

        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
