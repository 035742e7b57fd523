"""Load test: gunicorn serving the portal on loopback, fifty concurrent users (locust, headless).

Not a test: prints figures. Needs PostgreSQL and Redis (DATABASE_URL=postgres://…,
CELERY_BROKER_URL=redis://…). It builds a scratch database (<name>_bench_load) with three open
calls, 600 applications already waiting in the reviewers' queue, 1,000 applicants (each owning
an organisation) and 10 reviewers, all logged in by sessions made directly, collects the static
files, and starts gunicorn as the image runs it (sync workers, WEB_CONCURRENCY of them, default
3 as in .env.example) with DEBUG=0 and bench/load_settings.py (the portal plus a minimal view,
over plain HTTP), on Redis database 12 for the broker and the cache. One applicant's journey is
then walked once by this script (it must end submitted) and every page is warmed, and the same
gunicorn serves three phases (bench/locustfile.py):

1. ``minimal``: 50 users requesting a trivial view with no pause: the stack's ceiling.
2. ``mix``: 40 applicants (browse, open a call, start, open the form, save a draft with a PDF,
   view the status, submit, view it again) and 10 reviewers (queue, queue filtered, decision
   page), 1-5 s of think time between steps: throughput, p50/p95/p99 and errors per request.
3. ``submit path``: 50 users doing only the applicant's writes (start, save the draft with the
   PDF, submit) with no pause: their throughput beside the ceiling.

Statistics are reset once all users are running. Afterwards the database is checked: every
submit locust counted as successful left a submitted application, and the peak resident memory
(VmHWM) of gunicorn's master and of each worker is read before they stop. Writes
var/bench-load.json, with its targets: every request kind of the mix at p95 < 250 ms, no error,
the submit path at ≥ 20% of the minimal view's throughput, a worker's peak ≤ 250 MB.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… .venv/bin/python bench/load.py
"""

import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.applicant_draft import DRAFT_STEPS, draft_values, step_url, step_values  # noqa: E402
from bench.browser_form import (  # noqa: E402
    Upload,
    certificate_pdf,
    encode_multipart,
    encode_urlencoded,
    forms_in,
    submission,
)
from bench.harness import (  # noqa: E402
    BIN,
    Browser,
    Servers,
    collect_static,
    enrol_second_factor,
    exit_on_sigterm,
    flush_redis,
    login_session,
    peak_rss_of_tree,
    recreate_database,
    redis_url,
    scratch_url,
    server_environment,
    wait_until_ready,
)

PORT = 8710
BASE_URL = f"http://127.0.0.1:{PORT}"
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY", "3"))
USERS = 50
APPLICANTS = 1000  # applicant 0 is this script's own; 1-300 for the mix, 301-999 for the submit path
MIX_APPLICANTS, SUBMIT_APPLICANTS = (1, 301), (301, APPLICANTS)
REVIEWERS = 10
WAITING_PER_CALL = 200
SECONDS = {
    "minimal": int(os.environ.get("BENCH_LOAD_MINIMAL_SECONDS", "20")),
    "mix": int(os.environ.get("BENCH_LOAD_MIX_SECONDS", "60")),
    "submit_path": int(os.environ.get("BENCH_LOAD_SUBMIT_SECONDS", "30")),
}
# (locust user classes, spawn rate per second, applicants' slice)
PHASES = {
    "minimal": (["MinimalUser"], 50, (0, 0)),
    "mix": (["ApplicantUser", "ReviewerUser"], 10, MIX_APPLICANTS),
    "submit_path": (["SubmitPathUser"], 50, SUBMIT_APPLICANTS),
}
TARGET_P95_MS, TARGET_RATIO, TARGET_PEAK_RSS_MB = 250, 0.20, 250
SERVICE_START, SERVICE_END = date(2031, 1, 1), date(2031, 6, 30)


def prepare(workdir: Path) -> dict:
    """Offerings, three open calls, applications waiting in the queue, applicants, reviewers."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import REVIEWERS as REVIEWERS_GROUP
    from applications.business_number import check_digit
    from applications.models import Application, ApplicationItem, Call, CallOffering, Membership, Organization
    from pool.models import CapacityPhase, Offering

    def registration_number(n: int) -> str:
        return f"{n:09d}" + str(check_digit(f"{n:09d}"))

    gpu = Offering.objects.create(name="A100 GPU", kind="gpu", unit="gpu")
    storage = Offering.objects.create(name="Storage", kind="storage", unit="tb")
    for offering in (gpu, storage):
        CapacityPhase.objects.create(offering=offering, starts_on=date(2030, 1, 1), units=10**6)
    now = timezone.now()
    calls = []
    for n, title in enumerate(("2031 상반기 GPU 지원", "2031 상반기 스토리지 지원", "2031 AI 바우처 연계")):
        call = Call.objects.create(
            title=title,
            description="국가 AI 데이터센터 자원 지원 공고 (부하 시험)",
            opens_at=now - timedelta(days=10 + n),
            deadline=now + timedelta(days=7 + n),
            service_starts_on=SERVICE_START,
            service_ends_on=SERVICE_END,
            selection_target=100,
        )
        CallOffering.objects.create(call=call, offering=gpu, max_per_application=64)
        CallOffering.objects.create(call=call, offering=storage, max_per_application=500)
        calls.append(call)

    # Applications already waiting, so that the reviewers' queue is a call's worth long.
    waiting = Organization.objects.bulk_create(
        Organization(
            legal_name=f"심사 대기 기관 {n}", org_type="sme", registration_number=registration_number(400_000_000 + n),
            region=["gwangju", "seoul", "busan"][n % 3], address="광주광역시 북구", industry="healthcare", employees=20,
        )
        for n in range(WAITING_PER_CALL * len(calls))
    )  # fmt: skip
    applications = Application.objects.bulk_create(
        Application(
            organization=organization, call=calls[n % len(calls)], status="submitted",
            submitted_at=now - timedelta(minutes=n), priority_score=(n % 4) * 10, purpose="training",
            project_title="심사 대기 과제",
        )
        for n, organization in enumerate(waiting)
    )  # fmt: skip
    ApplicationItem.objects.bulk_create(
        ApplicationItem(application=a, offering=offering, quantity=q, starts_on=SERVICE_START, ends_on=SERVICE_END)
        for a in applications
        for offering, q in ((gpu, 8), (storage, 50))
    )

    users = User.objects.bulk_create(
        User(email=f"bench-applicant-{n}@portal.test", password=make_password(None)) for n in range(APPLICANTS)
    )
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"부하 시험 기관 {n}", org_type="venture",
            registration_number=registration_number(300_000_000 + n), region="gwangju",
            address="광주광역시 북구 첨단과기로 123", industry="automotive", employees=12,
        )
        for n in range(APPLICANTS)
    )  # fmt: skip
    Membership.objects.bulk_create(
        Membership(organization=o, user=u, role="owner") for u, o in zip(users, organizations, strict=True)
    )
    reviewers = User.objects.bulk_create(
        User(email=f"bench-reviewer-{n}@portal.test", password=make_password(None), is_staff=True)
        for n in range(REVIEWERS)
    )
    Group.objects.get(name=REVIEWERS_GROUP).user_set.add(*reviewers)
    for reviewer in reviewers:
        enrol_second_factor(reviewer)
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in [*users, *reviewers]
    )
    certificate = workdir / "business-certificate.pdf"
    certificate.write_bytes(certificate_pdf())
    return {
        "calls": [
            {
                "id": call.pk,
                "items": [
                    {
                        "offering": offering.pk,
                        "quantity": quantity,
                        "starts_on": str(SERVICE_START),
                        "ends_on": str(SERVICE_END),
                    }
                    for offering, quantity in ((gpu, 8), (storage, 50))
                ],
            }  # fmt: skip
            for call in calls
        ],
        "identities": [
            {"session": login_session(user), "organization": organization.pk}
            for user, organization in zip(users, organizations, strict=True)
        ],
        "reviewers": [login_session(reviewer) for reviewer in reviewers],
        "csrf_secret": secrets.token_hex(16),  # 32 characters, the form of Django's CSRF secret
        "certificate": str(certificate),
    }


def walk_one_journey(plan: dict) -> dict:
    """This script's own applicant (0) applies, saves a draft and submits through gunicorn, as
    the locust users will; the draft form it is shown is the one the submit path posts."""
    from applications.models import Application

    identity, call = plan["identities"][0], plan["calls"][0]
    browser = Browser(BASE_URL, {"sessionid": identity["session"]})
    status, _, page = browser.get(f"/calls/{call['id']}/")
    (apply,) = [form for form in forms_in(page) if form.action.endswith("/apply/")]
    status, edit_url, _ = browser.post(apply.action, *encode_urlencoded(submission(apply)))
    if status != 302 or not re.fullmatch(r"/applications/\d+/edit/", edit_url):
        raise RuntimeError(f"starting an application answered {status} → {edit_url!r}")
    certificate = Upload("business-certificate.pdf", Path(plan["certificate"]).read_bytes(), "application/pdf")
    values = draft_values(call)
    forms = {}
    for step in DRAFT_STEPS:
        url = step_url(edit_url, step)
        status, _, page = browser.get(url)
        (form,) = [form for form in forms_in(page) if ("go", "next") in form.buttons]
        forms[step] = form
        files = {"business_certificate": certificate} if step == "documents" else {}
        parts = submission(
            form, button="go", button_value="next", values=step_values(form.field_names(), values), files=files
        )
        status, _, page = browser.post(url, *encode_multipart(parts))
        if status != 302:
            raise RuntimeError(f"saving the draft's {step} step answered {status}:\n{page[:3000]}")
    status, _, page = browser.get(step_url(edit_url, "review"))
    (submit,) = [form for form in forms_in(page) if form.action.endswith("/submit/")]
    browser.post(submit.action, *encode_urlencoded(submission(submit)))
    application = Application.objects.get(pk=int(re.search(r"\d+", edit_url).group()))
    if application.status != Application.Status.SUBMITTED:
        raise RuntimeError(f"the journey left application {application.pk} {application.status}")
    return {step: asdict(form) for step, form in forms.items()}


def warm_up(plan: dict) -> None:
    """Every page once per worker and then some: templates compiled, connections open."""
    applicant = Browser(BASE_URL, {"sessionid": plan["identities"][0]["session"]})
    reviewer = Browser(BASE_URL, {"sessionid": plan["reviewers"][0]})
    call = plan["calls"][0]["id"]
    _, _, queue = reviewer.get("/admin/applications/application/")
    decide = re.search(r'href="(/admin/applications/application/\d+/decide/)', queue).group(1)
    for _ in range(3 * WEB_WORKERS):
        for browser, path in (
            (applicant, "/calls/"), (applicant, f"/calls/{call}/"), (applicant, "/applications/"),
            (reviewer, "/admin/applications/application/"), (reviewer, decide), (applicant, "/bench/minimal/"),
        ):  # fmt: skip
            status, _, _ = browser.get(path)
            if status != 200:
                raise RuntimeError(f"warming up: {path} answered {status}")


def run_phase(name: str, plan_path: Path, workdir: Path) -> dict:
    classes, spawn_rate, (first, last) = PHASES[name]
    seconds = SECONDS[name]
    prefix = workdir / name
    environment = {
        **os.environ,
        "BENCH_LOAD_PLAN": str(plan_path),
        "BENCH_LOAD_IDENTITIES": f"{first}:{last}",
        "PYTHONPATH": str(ROOT),
    }
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--host", BASE_URL,
         "-u", str(USERS), "-r", str(spawn_rate), "-t", f"{seconds}s", "--reset-stats", "--csv", str(prefix),
         "--only-summary", "--exit-code-on-error", "0", "--loglevel", "WARNING", *classes],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=seconds + 180,
    )  # fmt: skip
    (workdir / f"locust-{name}.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"locust ({name}) exited {result.returncode}:\n{result.stderr[-3000:]}")
    kinds, total = [], None
    with (workdir / f"{name}_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            figures = {
                "kind": row["Name"] if row["Name"] != "Aggregated" else "all requests",
                "method": row["Type"],
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "per_second": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
            }
            if row["Name"] == "Aggregated":
                total = figures
            else:
                kinds.append(figures)
    with (workdir / f"{name}_failures.csv").open() as failures:
        errors = [
            {"kind": row["Name"], "error": row["Error"], "count": int(row["Occurrences"])}
            for row in csv.DictReader(failures)
        ]
    return {
        "users": USERS,
        "seconds": seconds,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "kinds": kinds,
        "total": total,
        "errors": errors,
        # Locust warns when its own process passes 90% of a core: then the client, not the
        # server, may be what limits the figures.
        "client_cpu_bound": "CPU usage above 90%" in result.stderr + result.stdout,
    }


def submitted_by(plan: dict, first: int, last: int) -> dict[str, int]:
    from django.db.models import Count

    from applications.models import Application

    organizations = [identity["organization"] for identity in plan["identities"][first:last]]
    counts = Application.objects.filter(organization_id__in=organizations).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in counts}


def server_errors(log: str) -> int:
    return len(re.findall(r"Internal Server Error|WORKER TIMEOUT|Traceback", log))


def main() -> None:
    exit_on_sigterm()
    url = scratch_url("_bench_load")
    workdir = ROOT / "var" / "bench-load"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    environment = server_environment(url, workdir, secrets.token_urlsafe(50))
    recreate_database(url)
    flush_redis(redis_url())
    os.environ.update(environment)  # this script prepares the data with the servers' own settings
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        collect_static(environment)
        plan = prepare(workdir)
        connection.close()
        prepared_in = time.perf_counter() - started
        with Servers(workdir) as servers:
            gunicorn = servers.gunicorn("gunicorn", PORT, environment, WEB_WORKERS)
            wait_until_ready(BASE_URL, servers)
            plan["draft_forms"] = walk_one_journey(plan)
            warm_up(plan)
            plan_path = workdir / "plan.json"
            plan_path.write_text(json.dumps(plan))
            phases = {}
            for name in PHASES:
                phases[name] = run_phase(name, plan_path, workdir)
                servers.ensure_running()
                print(f"load phase {name}: {phases[name]['total']['requests']:,} requests", flush=True)
            errors_in_log = server_errors(servers.log("gunicorn"))
            # Read while they run: each worker's peak over the three phases.
            memory = peak_rss_of_tree(gunicorn.pid)
        report = summarise(plan, phases, errors_in_log, prepared_in, memory, gunicorn.pid)
        print_report(report)
        (ROOT / "var" / "bench-load.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    finally:
        connection.close()
        recreate_database(url, drop_only=True)
        flush_redis(redis_url())
        shutil.rmtree(workdir, ignore_errors=True)


def summarise(
    plan: dict, phases: dict, errors_in_log: int, prepared_in: float, memory: dict[int, float], master: int
) -> dict:
    def successes(phase: str, kind: str) -> int:
        row = next((k for k in phases[phase]["kinds"] if k["kind"] == kind), None)
        return row["requests"] - row["errors"] if row else 0

    database = {
        "mix": submitted_by(plan, *MIX_APPLICANTS),
        "submit_path": submitted_by(plan, *SUBMIT_APPLICANTS),
    }
    # A submit locust counted as successful (redirected to the status page) must have left a
    # submitted application; the database may hold a few more (requests cut off at the end).
    unsubmitted = sum(
        max(0, successes(phase, "submit") - database[phase].get("submitted", 0)) for phase in ("mix", "submit_path")
    )
    ceiling = phases["minimal"]["total"]["per_second"]
    submit_path = phases["submit_path"]["total"]["per_second"]
    ratio = submit_path / ceiling if ceiling else 0.0
    mix_kinds = phases["mix"]["kinds"]
    slow = [k["kind"] for k in mix_kinds if k["p95_ms"] >= TARGET_P95_MS]
    client_errors = sum(phase["total"]["errors"] for phase in phases.values())
    slowest = max(mix_kinds, key=lambda k: k["p95_ms"])
    worker_memory = sorted(mb for pid, mb in memory.items() if pid != master)
    return {
        "users": USERS,
        "web_workers": WEB_WORKERS,
        "think_time_s": [1, 5],
        "prepared_in_s": round(prepared_in, 1),
        "phases": phases,
        "database": database,
        "submits_not_in_database": unsubmitted,
        "server_errors_logged": errors_in_log,
        "ceiling_per_second": ceiling,
        "submit_path_per_second": submit_path,
        "submit_path_ratio": round(ratio, 3),
        # The peak resident memory (VmHWM) of gunicorn's master and of each worker, in MB.
        "peak_rss_mb": {"gunicorn master": memory.get(master), "gunicorn workers": worker_memory},
        "targets": [
            {
                "target": f"p95 < {TARGET_P95_MS} ms, every request kind of the mix",
                "figure": f"slowest p95 {slowest['p95_ms']:.0f} ms ({slowest['kind']})"
                + (f"; {len(slow)} of {len(mix_kinds)} kinds at or above" if slow else ""),
                "met": not slow,
            },
            {
                "target": "0 errors (failed requests, server errors, lost submits)",
                "figure": f"{client_errors} failed requests, {errors_in_log} server errors logged, "
                f"{unsubmitted} submits missing in the database",
                "met": client_errors == 0 and errors_in_log == 0 and unsubmitted == 0,
            },
            {
                "target": f"submit path ≥ {TARGET_RATIO:.0%} of the minimal view's throughput",
                "figure": f"{submit_path:.1f} / {ceiling:.1f} req/s = {ratio:.1%}",
                "met": ratio >= TARGET_RATIO,
            },
            {
                "target": f"peak RSS of a gunicorn worker ≤ {TARGET_PEAK_RSS_MB} MB (load test)",
                "figure": f"{max(worker_memory, default=0):.0f} MB, the largest of {len(worker_memory)} workers",
                "met": bool(worker_memory) and max(worker_memory) <= TARGET_PEAK_RSS_MB,
            },
        ],
    }


def print_report(report: dict) -> None:
    print(
        f"load test: {report['users']} users, gunicorn with {report['web_workers']} sync workers, "
        f"think time {report['think_time_s'][0]}-{report['think_time_s'][1]} s in the mix"
    )
    print(
        f"{'phase':<12} {'request':<28} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6}"
    )
    for name, phase in report["phases"].items():
        for row in [*phase["kinds"], phase["total"]]:
            print(
                f"{name:<12} {row['kind']:<28} {row['requests']:>8} {row['per_second']:>7} {row['p50_ms']:>7.0f} "
                f"{row['p95_ms']:>7.0f} {row['p99_ms']:>7.0f} {row['errors']:>6}"
            )
        for error in phase["errors"]:
            print(f"    {error['count']} × {error['kind']}: {error['error'][:150]}")
        if phase["client_cpu_bound"]:
            print(f"    ({name}: locust's own process passed 90% of a core; the client may be the limit)")
    print(f"database after the run: {report['database']}")
    print(f"peak RSS (VmHWM), MB: {report['peak_rss_mb']}")
    for target in report["targets"]:
        print(f"target {target['target']}: {'met' if target['met'] else 'NOT met'} ({target['figure']})")


if __name__ == "__main__":
    main()
