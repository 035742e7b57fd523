"""Scale-out check: two web processes and two Celery workers on one PostgreSQL and one Redis.

Not a test: prints figures and exits 1 if a check fails. Needs PostgreSQL and Redis
(DATABASE_URL=postgres://…, CELERY_BROKER_URL=redis://…). It builds a scratch database
(<name>_bench_scale) with N submitted applications (default 1,000), each asking for 4 GPUs and
20 TB over the same 90 days, the GPU pool holding exactly 4 × N (a single grant counted twice
would be refused by the ledger, and would show in check_capacity), and starts, all with the same
SECRET_KEY, database, broker and cache (Redis database 12) and uploaded-file folder:

- web-a and web-b: gunicorn on 127.0.0.1:8711 and :8712 (2 sync workers each, DEBUG=0);
- worker-a and worker-b: Celery workers named bench-a@host and bench-b@host on the default
  queue (one process each), as two machines would run them; no beat.

A reviewer opens each application's decision page and approves it in full, application n on
web-a when n is even and on web-b when odd, eight at a time; the script then waits until every
allocation is active and every decision e-mail is sent, and checks: every application approved,
one allocation per item, every allocation provisioned exactly once (one ProvisionedResource
each, claimed and activated once), both webs decided and both workers provisioned, and
`manage.py check_capacity` clean. It also measures, for every allocation, the time from the
approval (the allocation is made in the decision's transaction) to active, and reads the peak
resident memory (VmHWM) of every gunicorn and Celery process before they stop. Writes
var/bench-scale-out.json, with its targets: approval → active p95 < 2 s, a gunicorn worker's and
a Celery worker's peak ≤ 250 MB.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… .venv/bin/python bench/scale_out.py [N]
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.browser_form import encode_urlencoded, forms_in, submission  # noqa: E402
from bench.harness import (  # noqa: E402
    BIN,
    PYTHON,
    Browser,
    Servers,
    collect_static,
    enrol_second_factor,
    exit_on_sigterm,
    flush_redis,
    login_session,
    peak_rss_of_tree,
    percentile,
    recreate_database,
    redis_url,
    scratch_url,
    server_environment,
    wait_until_ready,
)

WEBS = {"web-a": 8711, "web-b": 8712}
WORKERS = ("bench-a", "bench-b")
GPUS, TERABYTES = 4, 20
START, END = date(2031, 1, 1), date(2031, 3, 31)
TIMEOUT_SECONDS = 300
TARGET_APPROVAL_TO_ACTIVE_P95_S, TARGET_PEAK_RSS_MB = 2.0, 250


def prepare(count: int) -> tuple[str, list[int]]:
    """``count`` submitted applications; the GPU pool holds exactly what they ask for."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import REVIEWERS
    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Call, CallOffering, Membership, Organization
    from pool.models import CapacityPhase, Offering

    gpu = Offering.objects.create(name="A100 GPU", kind="gpu", unit="gpu")
    storage = Offering.objects.create(name="Storage", kind="storage", unit="tb")
    CapacityPhase.objects.create(offering=gpu, starts_on=date(2030, 1, 1), units=GPUS * count)
    CapacityPhase.objects.create(offering=storage, starts_on=date(2030, 1, 1), units=10**6)
    now = timezone.now()
    call = Call.objects.create(
        title="2031 1분기 자원 지원",
        description="",
        opens_at=now - timedelta(days=30),
        deadline=now - timedelta(days=1),
        service_starts_on=START,
        service_ends_on=END,
        selection_target=count,
    )
    for offering in (gpu, storage):
        CallOffering.objects.create(call=call, offering=offering, max_per_application=1000)
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"확장 시험 기관 {n}", org_type="sme",
            registration_number=f"{200_000_000 + n:09d}" + str(check_digit(f"{200_000_000 + n:09d}")),
            region="gwangju", address="광주광역시 북구", industry="energy", employees=30,
        )
        for n in range(count)
    )  # fmt: skip
    members = User.objects.bulk_create(
        User(email=f"bench-member-{n}@portal.test", password=make_password(None)) for n in range(count)
    )
    Membership.objects.bulk_create(
        Membership(organization=o, user=u, role="owner") for o, u in zip(organizations, members, strict=True)
    )
    applications = Application.objects.bulk_create(
        Application(
            organization=organization, call=call, status="submitted", submitted_at=now - timedelta(minutes=n),
            purpose="training", project_title="확장 시험 과제",
        )
        for n, organization in enumerate(organizations)
    )  # fmt: skip
    ApplicationItem.objects.bulk_create(
        ApplicationItem(application=a, offering=offering, quantity=quantity, starts_on=START, ends_on=END)
        for a in applications
        for offering, quantity in ((gpu, GPUS), (storage, TERABYTES))
    )
    reviewer = User.objects.create(email="bench-reviewer@portal.test", password=make_password(None), is_staff=True)
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    EmailAddress.objects.create(user=reviewer, email=reviewer.email, verified=True, primary=True)
    enrol_second_factor(reviewer)
    return login_session(reviewer), [a.pk for a in applications]


def approve(base_url: str, session_key: str, application_id: int) -> dict:
    """Open the decision page and click *Approve in full*, as the reviewer's browser does."""
    browser = Browser(base_url, {"sessionid": session_key})
    path = f"/admin/applications/application/{application_id}/decide/"
    result = {"base_url": base_url, "ok": False, "error": "", "page_ms": 0.0, "approve_ms": 0.0}
    started = time.perf_counter()
    status, _, page = browser.get(path)
    result["page_ms"] = (time.perf_counter() - started) * 1000
    forms = [form for form in forms_in(page) if ("decision", "approve") in form.buttons]
    if status != 200 or not forms:
        return {**result, "error": f"decision page answered {status} without an approve button"}
    parts = submission(forms[0], button="decision", button_value="approve")
    started = time.perf_counter()
    status, location, page = browser.post(path, *encode_urlencoded(parts))
    result["approve_ms"] = (time.perf_counter() - started) * 1000
    if status != 302 or not location.startswith("/admin/applications/application/"):
        message = re.search(r'class="error">(.*?)<', page)
        return {**result, "error": f"approve answered {status} {message.group(1) if message else ''}"}
    return {**result, "ok": True}


def latency(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50": round(percentile(values, 0.5)), "p95": round(percentile(values, 0.95))}


def wait_for(condition, what: str, servers: Servers, timeout: float = TIMEOUT_SECONDS) -> float:
    started = time.perf_counter()
    while not condition():
        servers.ensure_running()
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.25)
    return time.perf_counter() - started


PROVISIONING_TASKS = ("allocations.provision_allocation", "allocations.provision_allocations")


def worker_totals(names: list[str]) -> dict[str, dict[str, int]]:
    from portal.celery import app

    stats = app.control.inspect(destination=names, timeout=5).stats() or {}
    return {name: stats.get(name, {}).get("total", {}) for name in names}


def main() -> None:
    exit_on_sigterm()
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    url = scratch_url("_bench_scale")
    workdir = ROOT / "var" / "bench-scale-out"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    environment = server_environment(url, workdir, secrets.token_urlsafe(50))
    recreate_database(url)
    flush_redis(redis_url())
    os.environ.update(environment)  # this script prepares and checks with the servers' own settings
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Min, Q

    from allocations.models import Allocation, AllocationTransition, ProvisionedResource
    from applications.models import Application, ApplicationItem
    from notifications.models import Notification
    from portal.celery import app

    try:
        call_command("migrate", verbosity=0)
        collect_static(environment)
        session_key, application_ids = prepare(count)
        connection.close()
        with Servers(workdir) as servers:
            masters = {}
            for name, port in WEBS.items():
                masters[name] = servers.gunicorn(name, port, environment, workers=2).pid
            for name in WORKERS:
                masters[name] = servers.start(
                    name,
                    [str(BIN / "celery"), "-A", "portal", "worker", "-n", f"{name}@%h", "--concurrency", "1",
                     "--loglevel", "warning"],
                    environment,
                ).pid  # fmt: skip
            for port in WEBS.values():
                wait_until_ready(f"http://127.0.0.1:{port}", servers)
            worker_names: list[str] = []

            def workers_answer() -> bool:
                answers = app.control.inspect(timeout=1).ping() or {}
                worker_names[:] = sorted(n for n in answers if n.split("@")[0] in WORKERS)
                return len(worker_names) == len(WORKERS)

            wait_for(workers_answer, "both workers to answer a ping", servers, timeout=60)

            bases = [f"http://127.0.0.1:{port}" for port in WEBS.values()]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(
                    pool.map(
                        lambda n: approve(bases[n % 2], session_key, application_ids[n]), range(len(application_ids))
                    )
                )
            decided_in = time.perf_counter() - started
            allocations_expected = ApplicationItem.objects.filter(application__in=application_ids).count()

            def all_active() -> bool:
                return Allocation.objects.filter(state="active").count() >= allocations_expected

            wait_for(all_active, "every allocation to be active", servers)
            provisioned_in = time.perf_counter() - started

            # Each decision records its e-mail in its own transaction (one member per organisation);
            # the workers deliver them.
            def emails_sent() -> bool:
                decisions = Notification.objects.filter(kind=Notification.Kind.DECISION)
                return decisions.filter(state=Notification.State.SENT).count() >= count

            wait_for(emails_sent, "every decision e-mail", servers)
            totals = worker_totals(worker_names)
            # Read while they run: the peak of each process since it started (VmHWM), in MB.
            memory = {name: peak_rss_of_tree(pid) for name, pid in masters.items()}
            server_errors = {
                name: len(re.findall(r"Internal Server Error|WORKER TIMEOUT|Traceback", servers.log(name)))
                for name in [*WEBS, *WORKERS]
            }
        check = subprocess.run(
            [PYTHON, "manage.py", "check_capacity"], cwd=ROOT, env=environment, capture_output=True, text=True
        )
        transitions = AllocationTransition.objects.values("allocation").annotate(
            claimed=Count("pk", filter=Q(to_state="provisioning")), activated=Count("pk", filter=Q(to_state="active"))
        )
        # From the approval (the allocation is made in the decision's transaction) to active.
        waits = sorted(
            (active - created).total_seconds()
            for created, active in Allocation.objects.annotate(
                active_at=Min("transitions__created_at", filter=Q(transitions__to_state="active"))
            ).values_list("created_at", "active_at")
            if active is not None
        )
        web_workers = [mb for name in WEBS for pid, mb in memory[name].items() if pid != masters[name]]
        # A Celery worker is its main process and its pool's child: both count.
        celery_workers = [max(memory[name].values(), default=0) for name in WORKERS]
        report = {
            "applications": count,
            "webs": {name: f"127.0.0.1:{port}" for name, port in WEBS.items()},
            "workers": worker_names,
            "approved_through": {
                name: sum(1 for r in results if r["ok"] and r["base_url"].endswith(f":{port}"))
                for name, port in WEBS.items()
            },
            "refused": [r["error"] for r in results if not r["ok"]][:10],
            "decision_page_ms": latency([r["page_ms"] for r in results]),
            "approve_ms": latency([r["approve_ms"] for r in results if r["ok"]]),
            "applications_approved": Application.objects.filter(pk__in=application_ids, status="approved").count(),
            "allocations_expected": allocations_expected,
            "allocations": Allocation.objects.count(),
            "allocations_active": Allocation.objects.filter(state="active").count(),
            "provisioned_resources": ProvisionedResource.objects.count(),
            "provisioned_distinct_allocations": ProvisionedResource.objects.values("allocation").distinct().count(),
            "allocations_not_claimed_and_activated_once": transitions.exclude(claimed=1, activated=1).count(),
            # Provisioning messages each worker ran: one per allocation, or one per approval's batch.
            "provisioned_by": {
                name: sum(totals[name].get(task, 0) for task in PROVISIONING_TASKS) for name in worker_names
            },
            "decision_emails_by": {name: totals[name].get("notifications.deliver", 0) for name in worker_names},
            "server_errors_logged": server_errors,
            "check_capacity_exit": check.returncode,
            "check_capacity_output": (check.stdout + check.stderr).strip()[-500:],
            "decided_in_s": round(decided_in, 1),
            "all_active_in_s": round(provisioned_in, 1),
            "approvals_per_s": round(count / decided_in, 1),
            "allocations_per_s": round(allocations_expected / provisioned_in, 1),
            "approval_to_active_s": {
                "p50": round(percentile(waits, 0.5), 2),
                "p95": round(percentile(waits, 0.95), 2),
                "max": round(waits[-1], 2) if waits else 0.0,
            },
            "peak_rss_mb": {name: sorted(tree.values()) for name, tree in memory.items()},
        }
        waited = report["approval_to_active_s"]
        report["targets"] = [
            {
                "target": f"approval → active p95 < {TARGET_APPROVAL_TO_ACTIVE_P95_S:.0f} s, "
                f"a burst of {count:,} single approvals",
                "figure": f"p50 {waited['p50']} s, p95 {waited['p95']} s, max {waited['max']} s",
                "met": bool(waits) and percentile(waits, 0.95) < TARGET_APPROVAL_TO_ACTIVE_P95_S,
            },
            {
                "target": f"peak RSS of a gunicorn worker ≤ {TARGET_PEAK_RSS_MB} MB (scale-out)",
                "figure": f"{max(web_workers, default=0):.0f} MB, the largest of {len(web_workers)} workers",
                "met": bool(web_workers) and max(web_workers) <= TARGET_PEAK_RSS_MB,
            },
            {
                "target": f"peak RSS of a Celery worker ≤ {TARGET_PEAK_RSS_MB} MB (scale-out)",
                "figure": f"{max(celery_workers, default=0):.0f} MB, the largest process of {len(WORKERS)} workers",
                "met": bool(celery_workers) and max(celery_workers) <= TARGET_PEAK_RSS_MB,
            },
        ]
        report["checks"] = {
            "every application approved": report["applications_approved"] == count,
            "one allocation per requested item": report["allocations"] == allocations_expected,
            "every allocation active": report["allocations_active"] == allocations_expected,
            "provisioned exactly once": report["provisioned_resources"] == allocations_expected
            and report["provisioned_distinct_allocations"] == allocations_expected
            and report["allocations_not_claimed_and_activated_once"] == 0,
            "both webs decided": all(report["approved_through"].values()),
            "both workers provisioned": len(worker_names) == 2 and all(report["provisioned_by"].values()),
            "no server errors": not any(server_errors.values()),
            "check_capacity clean": check.returncode == 0,
        }
        report["ok"] = all(report["checks"].values())
        print_report(report)
        (ROOT / "var" / "bench-scale-out.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        connection.close()
        recreate_database(url, drop_only=True)
        flush_redis(redis_url())
        shutil.rmtree(workdir, ignore_errors=True)
    if not report["ok"]:
        sys.exit(1)


def print_report(report: dict) -> None:
    webs = ", ".join(f"{name} ({address})" for name, address in report["webs"].items())
    print(f"scale-out: {webs}; workers {', '.join(report['workers'])}; one PostgreSQL, one Redis")
    print(
        f"{report['applications']} approvals through {report['approved_through']} in {report['decided_in_s']} s "
        f"({report['approvals_per_s']}/s); {report['allocations_expected']} allocations all active after "
        f"{report['all_active_in_s']} s ({report['allocations_per_s']}/s)"
    )
    print(
        f"decision page p50/p95 {report['decision_page_ms']['p50']}/{report['decision_page_ms']['p95']} ms, "
        f"approve p50/p95 {report['approve_ms']['p50']}/{report['approve_ms']['p95']} ms (8 reviewers' tabs at once)"
    )
    print(
        f"provisioning messages run by {report['provisioned_by']}; decision e-mails by {report['decision_emails_by']}; "
        f"ProvisionedResource rows {report['provisioned_resources']} for {report['allocations']} allocations"
    )
    for refusal in report["refused"]:
        print(f"    refused: {refusal}")
    waited = report["approval_to_active_s"]
    print(
        f"approval → active: p50 {waited['p50']} s, p95 {waited['p95']} s, max {waited['max']} s; "
        f"peak RSS (VmHWM), MB: {report['peak_rss_mb']}"
    )
    for name, ok in report["checks"].items():
        print(f"check {name}: {'ok' if ok else 'FAILED'}")
    for target in report["targets"]:
        print(f"target {target['target']}: {'met' if target['met'] else 'NOT met'} ({target['figure']})")
    print(f"check_capacity: {report['check_capacity_output']}")


if __name__ == "__main__":
    main()
