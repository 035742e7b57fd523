"""The reviewer's queue (the admin's application changelist) at 10 and at 10,000 applications.

Not a test: prints figures. Needs PostgreSQL. Builds a scratch database (<name>_bench_queue)
with one open call and 10 submitted applications (each asking for GPUs and storage, with a
priority claim), requests the queue as a reviewer ROUNDS times through Django's test client, in
process like bench/dashboard.py, then grows the call to 10,000 applications and requests the same
pages again: the default queue, a filtered one (status and claim kind), a search by name, and
the queue sorted by rank and by requested GPUs (a click on a column header). Prints queries,
median and p95 per page and size (a page is requested ROUNDS times, or as often as fits in 10 s,
at least once; a query still running after 30 s, gunicorn's worker timeout, is cancelled and the
page reported as timed out); writes var/bench-review-queue.json.

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
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench-queue"

from bench.harness import percentile, recreate_database, scratch_url  # noqa: E402

SIZES = (10, 10_000)
QUEUE = "/admin/applications/application/"
BUDGET_SECONDS = 10
TIMEOUT_SECONDS = 30


def grow(call, offerings, size: int) -> None:
    """Add submitted applications to ``call`` until it has ``size``: a GPU and a storage item
    each, one priority claim in every verification state, scores 0-60, distinct submission times."""
    from django.utils import timezone

    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Organization, PriorityClaim

    start = Application.objects.filter(call=call).count()
    gpu, storage = offerings
    now = timezone.now()
    kinds, verifications = PriorityClaim.Kind.values, PriorityClaim.Verification.values
    for first in range(start, size, 2000):
        numbers = range(first, min(first + 2000, size))
        organizations = Organization.objects.bulk_create(
            Organization(
                legal_name=f"심사 대기 기관 {n}",
                org_type=["sme", "venture", "university", "public"][n % 4],
                registration_number=f"{500_000_000 + n:09d}" + str(check_digit(f"{500_000_000 + n:09d}")),
                region=["gwangju", "seoul", "gyeonggi", "busan"][n % 4],
                address="광주광역시 북구",
                industry=["automotive", "energy", "healthcare", "other"][n % 4],
                employees=10 + n % 90,
            )
            for n in numbers
        )
        applications = Application.objects.bulk_create(
            Application(
                organization=organization,
                call=call,
                status=Application.Status.SUBMITTED,
                submitted_at=now - timedelta(minutes=n),
                priority_score=(n % 7) * 10,
                purpose="training",
                project_title="심사 대기 과제",
            )
            for n, organization in zip(numbers, organizations, strict=True)
        )
        ApplicationItem.objects.bulk_create(
            ApplicationItem(
                application=application,
                offering=offering,
                quantity=quantity,
                starts_on=call.service_starts_on,
                ends_on=call.service_ends_on,
            )
            for application in applications
            for offering, quantity in ((gpu, 8), (storage, 50))
        )
        PriorityClaim.objects.bulk_create(
            PriorityClaim(application=application, kind=kinds[n % 3], verification=verifications[n % 3])
            for n, application in zip(numbers, applications, strict=True)
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


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    url = scratch_url("_bench_queue")
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import REVIEWERS
    from applications.admin import ApplicationAdmin
    from applications.models import Call, CallOffering
    from pool.models import CapacityPhase, Offering

    settings.ALLOWED_HOSTS = ["*"]
    try:
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
        client = Client()
        client.force_login(reviewer)

        rows = []
        for size in SIZES:
            started = time.perf_counter()
            grow(call, (gpu, storage), size)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            built_in = time.perf_counter() - started
            # The changelist's ``o`` counts the action check box's column first.
            columns = ["action_checkbox", *ApplicationAdmin.list_display]
            pages = [
                ("queue", QUEUE),
                ("filtered: submitted, claim", f"{QUEUE}?status__exact=submitted&claim_kind=gwangju_located"),
                ("search: organisation name", f"{QUEUE}?q=%EA%B8%B0%EA%B4%80+7"),
                ("sorted by rank", f"{QUEUE}?o={columns.index('queue_rank')}"),
                ("sorted by requested GPUs", f"{QUEUE}?o=-{columns.index('requested_gpu')}"),
            ]
            client.get(QUEUE)  # warm the template loader and the connection
            for label, path in pages:
                rows.append(measure(client, label, path, rounds, size))
            print(f"{size:,} applications built in {built_in:.0f} s", flush=True)

        print(f"reviewer queue: {rounds} requests each, in process (Django test client), PostgreSQL")
        print(
            f"{'applications':>12} {'page':<28} {'rows':>5} {'requests':>8} {'queries':>7} {'median ms':>10} "
            f"{'p95 ms':>8}"
        )
        for row in rows:
            print(
                f"{row['applications']:>12,} {row['page']:<28} {row['rows_shown']:>5} {row['requests']:>8} "
                f"{row['queries']:>7} {row['median_ms']:>10} {row['p95_ms']:>8}"
                + (f"  cancelled after {TIMEOUT_SECONDS} s" if row["timed_out"] else "")
            )
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "bench-review-queue.json").write_text(json.dumps({"rounds": rounds, "rows": rows}, indent=2))
    finally:
        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
