"""Merit evaluation at the issue's size: an evaluated call of 1,000 applications, 30 evaluators,
3 per application.

Not a test: prints figures. Needs PostgreSQL. Builds a scratch database (<name>_bench_evaluation),
then measures through the portal's own services and pages:

- automatic assignment of the whole stage (``assignments_auto``): seconds and queries;
- the panel sheet of the 1,000 applications, every evaluator's scores in, as a reviewer in the
  admin (Django's test client, in process): queries, median and p95 over ROUNDS requests, and
  its CSV file once;
- recomputing the ranking after one submission (``ranking_recompute``, which writes the merit
  on the application; the database's triggers re-rank the call in the same statement): queries
  and time, at 1,000 applications and in a call of 10, to show the count does not grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/evaluation.py [ROUNDS]
"""

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = "filesystem://"
os.environ["PORTAL_VAR_DIR"] = "var/bench"

from bench.harness import enrol_second_factor, exit_on_sigterm, percentile, recreate_database, scratch_url  # noqa: E402

APPLICATIONS = 1_000
EVALUATORS = 30
PER_APPLICATION = 3
TARGET_ASSIGN_SECONDS = 5.0
TARGET_PANEL_QUERIES = 15
TARGET_PANEL_MS = 1_000.0


def build(applications: int, evaluators: int, *, title: str):
    """An evaluated call closed yesterday with ``applications`` submitted (GPUs and storage) and
    ``evaluators`` evaluators, its stage open for scoring; returns (call, stage, reviewer)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import OPERATORS, REVIEWERS
    from applications.models import Application, ApplicationItem, Call, CallOffering, Organization
    from evaluation.models import Evaluator
    from evaluation.services import configuration
    from pool.models import CapacityPhase, Offering

    now = timezone.now()
    reviewer, _ = User.objects.get_or_create(email="reviewer@bench.kr", defaults={"is_staff": True})
    operator, _ = User.objects.get_or_create(email="operator@bench.kr", defaults={"is_staff": True})
    reviewer.groups.add(Group.objects.get(name=REVIEWERS))
    operator.groups.add(Group.objects.get(name=OPERATORS))
    gpu, created = Offering.objects.get_or_create(name="A100 GPU", defaults={"kind": "gpu", "unit": "gpu"})
    storage, _ = Offering.objects.get_or_create(name="Storage", defaults={"kind": "storage", "unit": "tb"})
    if created:
        CapacityPhase.objects.create(offering=gpu, starts_on=date(2030, 1, 1), units=2_000)
        CapacityPhase.objects.create(offering=storage, starts_on=date(2030, 1, 1), units=50_000)
    call = Call.objects.create(
        title=title,
        description="bench",
        opens_at=now - timedelta(days=30),
        deadline=now - timedelta(days=1),
        service_starts_on=date(2031, 1, 1),
        service_ends_on=date(2031, 6, 30),
        selection_target=100,
    )
    CallOffering.objects.bulk_create(
        [
            CallOffering(call=call, offering=gpu, max_per_application=16),
            CallOffering(call=call, offering=storage, max_per_application=200),
        ]
    )
    base = Organization.objects.count()
    organizations = Organization.objects.bulk_create(
        Organization(
            legal_name=f"벤치 기관 {base + n}",
            org_type="sme",
            registration_number=f"{base + n + 1_000_000_000:010d}"[-10:],
            region="gwangju" if n % 3 == 0 else "seoul",
            address="광주광역시",
            industry="healthcare",
            employees=10,
        )
        for n in range(applications)
    )
    rows = Application.objects.bulk_create(
        Application(
            organization=organization,
            call=call,
            status=Application.Status.SUBMITTED,
            submitted_at=now - timedelta(days=2, minutes=-n),
            priority_score=(n % 4) * 5,
            purpose="training",
            project_title=f"프로젝트 {n}",
        )
        for n, organization in enumerate(organizations)
    )
    ApplicationItem.objects.bulk_create(
        item
        for n, application in enumerate(rows)
        for item in (
            ApplicationItem(
                application=application,
                offering=gpu,
                quantity=1 + n % 8,
                starts_on=date(2031, 1, 1),
                ends_on=date(2031, 6, 30),
            ),
            ApplicationItem(
                application=application,
                offering=storage,
                quantity=10 + n % 50,
                starts_on=date(2031, 1, 1),
                ends_on=date(2031, 6, 30),
            ),
        )
    )
    start = User.objects.count()
    users = User.objects.bulk_create(User(email=f"expert{start + n}@univ{n}.ac.kr") for n in range(evaluators))
    Evaluator.objects.bulk_create(
        Evaluator(user=user, name=f"평가위원 {n}", email_domain=user.email.rpartition("@")[2], pledge_accepted_at=now)
        for n, user in enumerate(users)
    )
    configuration.call_evaluation_set(
        actor=operator, call=call, mode="evaluated", reserved_claim="gwangju_located", reserved_percent=50
    )
    stage = configuration.stage_save(
        actor=operator,
        call=call,
        rules=configuration.StageRules(
            name="서면평가", deadline=now + timedelta(days=7), evaluators_per_application=PER_APPLICATION
        ),
    )
    configuration.rubric_set(
        actor=operator,
        stage=stage,
        criteria=[
            configuration.CriterionInput("기술성", 30),
            configuration.CriterionInput("사업성/파급효과", 30),
            configuration.CriterionInput("준비도", 20),
            configuration.CriterionInput("자원 활용 계획의 적정성", 20),
        ],
    )
    stage = configuration.stage_open(actor=reviewer, stage=stage)
    return call, stage, reviewer


def submit_all(stage) -> None:
    """Every assignment scored and submitted, as the evaluators' scoring service leaves them (in
    bulk: the submissions themselves are not what is measured), then the results computed."""
    from django.db import transaction
    from django.utils import timezone

    from applications.services import lock_rankings
    from evaluation.models import Assignment, Score
    from evaluation.services.ranking import stage_results_recompute

    criteria = list(stage.criteria.order_by("order"))
    assignments = list(Assignment.objects.filter(stage=stage).order_by("pk"))
    Score.objects.bulk_create(
        Score(
            assignment=assignment,
            criterion=criterion,
            value=Decimal(40 + (assignment.pk * 7 + index * 13) % 61),
            reason="근거",
        )
        for assignment in assignments
        for index, criterion in enumerate(criteria)
    )
    Assignment.objects.filter(stage=stage).update(state=Assignment.State.SUBMITTED, submitted_at=timezone.now())
    with transaction.atomic():
        lock_rankings([stage.call_id])
        stage_results_recompute(stage)


def timed_queries(function) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        function()
        seconds = time.perf_counter() - started
    return seconds, len(queries)


def recompute_figures(stage, rounds: int) -> tuple[list[float], list[int]]:
    """``ranking_recompute`` after one more score of each of ``rounds`` applications."""
    from evaluation.models import Assignment, Score
    from evaluation.services.ranking import ranking_recompute

    times, counts = [], []
    for assignment in Assignment.objects.filter(stage=stage).select_related("application").order_by("pk")[:rounds]:
        Score.objects.filter(assignment=assignment).update(value=Decimal(95))
        seconds, count = timed_queries(lambda a=assignment: ranking_recompute(application=a.application, stage=stage))
        times.append(seconds * 1000)
        counts.append(count)
    return times, counts


def main() -> None:
    exit_on_sigterm()
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    url = scratch_url("_bench_evaluation")
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from evaluation.models import Assignment
    from evaluation.services import assignment as assigning

    settings.ALLOWED_HOSTS = ["testserver"]
    try:
        call_command("migrate", verbosity=0)
        call, stage, reviewer = build(APPLICATIONS, EVALUATORS, title="벤치 평가 공고")
        enrol_second_factor(reviewer)
        plan_holder = {}
        assign_seconds, assign_queries = timed_queries(
            lambda: plan_holder.update(plan=assigning.assignments_auto(actor=reviewer, stage=stage))
        )
        plan = plan_holder["plan"]
        loads = {}
        for evaluator_id in Assignment.objects.filter(stage=stage).values_list("evaluator_id", flat=True):
            loads[evaluator_id] = loads.get(evaluator_id, 0) + 1
        print(
            f"automatic assignment: {len(plan.created):,} assignments in {assign_seconds:.2f} s, "
            f"{assign_queries} queries; load per evaluator {min(loads.values())}–{max(loads.values())}"
        )
        submit_all(stage)

        client = Client()
        client.force_login(reviewer)
        path = f"/admin/evaluation/stage/{stage.pk}/panel/"
        samples, panel_queries = [], 0
        for _ in range(rounds):
            seconds, panel_queries = timed_queries(lambda: client.get(path))
            samples.append(seconds * 1000)
        response = client.get(path)
        assert response.status_code == 200, response.status_code
        csv_seconds, csv_queries = timed_queries(lambda: client.get(f"/admin/evaluation/stage/{stage.pk}/panel.csv"))
        samples.sort()
        panel_median, panel_p95 = statistics.median(samples), percentile(samples, 0.95)
        print(
            f"panel sheet, {APPLICATIONS:,} applications: {panel_queries} queries, "
            f"median {panel_median:.0f} ms, p95 {panel_p95:.0f} ms"
        )
        print(f"panel sheet CSV: {csv_queries} queries, {csv_seconds * 1000:.0f} ms")

        large_times, large_counts = recompute_figures(stage, rounds)
        _small_call, small_stage, _ = build(10, EVALUATORS, title="벤치 소규모 평가 공고")
        assigning.assignments_auto(actor=reviewer, stage=small_stage)
        submit_all(small_stage)
        small_times, small_counts = recompute_figures(small_stage, min(rounds, 10))
        large_median, small_median = statistics.median(large_times), statistics.median(small_times)
        print(
            f"ranking after a score: {max(large_counts)} queries, median {large_median:.1f} ms at "
            f"{APPLICATIONS:,} applications; {max(small_counts)} queries, median {small_median:.1f} ms at 10"
        )
        assigned = f"automatic assignment, {APPLICATIONS:,} applications × {PER_APPLICATION} of {EVALUATORS} evaluators"
        rows = [
            {"case": assigned, "queries": assign_queries, "median_ms": round(assign_seconds * 1000, 1), "p95_ms": None},
            {"case": f"panel sheet, {APPLICATIONS:,} applications", "queries": panel_queries,
             "median_ms": round(panel_median, 1), "p95_ms": round(panel_p95, 1)},
            {"case": f"panel sheet CSV, {APPLICATIONS:,} applications", "queries": csv_queries,
             "median_ms": round(csv_seconds * 1000, 1), "p95_ms": None},
            {"case": f"ranking after a score, {APPLICATIONS:,} applications", "queries": max(large_counts),
             "median_ms": round(large_median, 1), "p95_ms": round(percentile(sorted(large_times), 0.95), 1)},
            {"case": "ranking after a score, 10 applications", "queries": max(small_counts),
             "median_ms": round(small_median, 1), "p95_ms": round(percentile(sorted(small_times), 0.95), 1)},
        ]  # fmt: skip
        targets = [
            {
                "target": f"automatic assignment of {APPLICATIONS:,} applications < {TARGET_ASSIGN_SECONDS:.0f} s",
                "figure": f"{assign_seconds:.2f} s",
                "met": assign_seconds < TARGET_ASSIGN_SECONDS,
            },
            {
                "target": f"panel sheet of {APPLICATIONS:,} ≤ {TARGET_PANEL_QUERIES} queries and < 1 s",
                "figure": f"{panel_queries} queries, median {panel_median:.0f} ms",
                "met": panel_queries <= TARGET_PANEL_QUERIES and panel_median < TARGET_PANEL_MS,
            },
            {
                "target": "ranking after a score in O(1) queries (the same at 10 and 1,000 applications)",
                "figure": f"{max(small_counts)} and {max(large_counts)} queries",
                "met": max(large_counts) == max(small_counts),
            },
        ]
        for target in targets:
            print(f"target: {target['target']}: {target['figure']}: {'met' if target['met'] else 'NOT met'}")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "bench-evaluation.json").write_text(
            json.dumps({"rounds": rounds, "rows": rows, "targets": targets}, indent=2)
        )
    finally:
        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
