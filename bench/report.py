"""`make bench`: every benchmark in bench/, one after the other, and one table of their figures.

Runs each benchmark as its own process through its command line, as a person would, collects
the JSON each writes into var/, prints one table and writes it with the machine's description
to var/bench.json. Needs the machine's PostgreSQL and Redis, as .ci/run sets them:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal CELERY_BROKER_URL=redis://127.0.0.1:6379/0 make bench

Sizes (environment, defaults chosen so that the whole run takes well under 15 minutes on the
2-core development machine): BENCH_QUEUE_ROUNDS=20, BENCH_DASHBOARD_ROUNDS=10, BENCH_USAGE_DASHBOARD_ROUNDS=10,
BENCH_PROVISIONING_N=3000, BENCH_USAGE_N=100000, BENCH_SCALE_OUT_N=1000, BENCH_EVALUATION_ROUNDS=10,
BENCH_API_ROUNDS=20, and the
load test's phase lengths BENCH_LOAD_MINIMAL_SECONDS=20, BENCH_LOAD_MIX_SECONDS=60, BENCH_LOAD_SUBMIT_SECONDS=30.
Benchmarks print figures; a target missed is reported, not a failure. Each benchmark names its
own targets in its JSON (``"targets": [{"target", "figure", "met"}]``) and the table ends with one
row per target, "met" or "NOT met" with its figure. The exit status is 1 only when a benchmark
could not run or the scale-out check found a wrong end state.
"""

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import PYTHON, exit_on_sigterm, postgres_url, postgres_version, redis_url  # noqa: E402

VAR = ROOT / "var"
STATIC = VAR / "bench-static"
BENCHMARKS = [
    # (name, script, argument, JSON it writes)
    ("review queue", "bench/review_queue.py", os.environ.get("BENCH_QUEUE_ROUNDS", "20"), "bench-review-queue.json"),
    ("dashboard", "bench/dashboard.py", os.environ.get("BENCH_DASHBOARD_ROUNDS", "10"), "bench-dashboard.json"),
    (
        "usage dashboard",
        "bench/usage_dashboard.py",
        os.environ.get("BENCH_USAGE_DASHBOARD_ROUNDS", "10"),
        "bench-usage-dashboard.json",
    ),
    (
        "provisioning",
        "bench/provisioning.py",
        os.environ.get("BENCH_PROVISIONING_N", "3000"),
        "bench-provisioning.json",
    ),
    ("usage ingest", "bench/usage_ingest.py", os.environ.get("BENCH_USAGE_N", "100000"), "bench-usage-ingest.json"),
    ("load", "bench/load.py", None, "bench-load.json"),
    ("scale-out", "bench/scale_out.py", os.environ.get("BENCH_SCALE_OUT_N", "1000"), "bench-scale-out.json"),
    ("evaluation", "bench/evaluation.py", os.environ.get("BENCH_EVALUATION_ROUNDS", "10"), "bench-evaluation.json"),
    ("staff API", "bench/api.py", os.environ.get("BENCH_API_ROUNDS", "20"), "bench-api.json"),
]
PORTS = (8710, 8711, 8712)
FULL_CONNECTION_TABLE = "too many clients already"


def preflight() -> None:
    """Refuse to start, with a message saying what to set, unless PostgreSQL and Redis are there."""
    database, broker = postgres_url(), redis_url()  # each exits with a message if not PostgreSQL/Redis
    for program in ("pgbench", "psql"):
        if shutil.which(program) is None:
            sys.exit(f"`make bench` needs {program} on PATH (Debian: apt-get install postgresql-client).")
    try:
        postgres_version(database)
    except Exception as error:
        sys.exit(f"PostgreSQL at DATABASE_URL does not answer: {error}")
    import redis

    try:
        redis.Redis.from_url(broker, socket_connect_timeout=3).ping()
    except Exception as error:
        sys.exit(f"Redis at CELERY_BROKER_URL does not answer: {error}")
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                sys.exit(f"Port {port} is taken; the load test and the scale-out check serve on {PORTS}.")


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    import redis

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "postgresql": postgres_version(postgres_url()),
        "redis": redis.Redis.from_url(redis_url()).info("server")["redis_version"],
        "python": platform.python_version(),
        "commit": commit.stdout.strip() or "unknown",
        "load_average_at_start": round(os.getloadavg()[0], 1),
    }


def collect_static() -> None:
    """Once for the load test and the scale-out check (DEBUG=0 needs the manifest)."""
    shutil.rmtree(STATIC, ignore_errors=True)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "DEBUG": "0",
        "SECRET_KEY": "collectstatic-only-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": "locmem://",
        "STATIC_ROOT": str(STATIC),
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=environment, check=True
    )


def run(name: str, script: str, argument: str | None, log_dir: Path) -> tuple[int, float, str]:
    """Run one benchmark, its output shown as it comes and kept in var/bench-logs/."""
    print(f"\n=== {name}: {script} {argument or ''}".rstrip(), flush=True)
    started = time.perf_counter()
    command = [PYTHON, script, *([argument] if argument else [])]
    environment = {**os.environ, "BENCH_STATIC_ROOT": str(STATIC), "PYTHONUNBUFFERED": "1"}
    output = []
    with (log_dir / f"{name.replace(' ', '-')}.log").open("a") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(line)
            output.append(line)
        process.wait()
    seconds = time.perf_counter() - started
    print(f"=== {name}: exit {process.returncode} after {seconds:.0f} s", flush=True)
    return process.returncode, seconds, "".join(output)


def ms(value) -> str:
    return "" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def row(benchmark, case, *, queries="", median=None, p95=None, p99=None, throughput="", ratio="", result=""):
    return {
        "benchmark": benchmark,
        "case": case,
        "queries": str(queries),
        "median_ms": ms(median),
        "p95_ms": ms(p95),
        "p99_ms": ms(p99),
        "throughput": throughput,
        "ratio": ratio,
        "result": result,
    }


def queue_rows(figures: dict) -> list[dict]:
    return [
        row(
            "review queue",
            f"{r['applications']:,} apps: {r['page']}" + (f" ({r['requests']}×)" if r["requests"] < 5 else ""),
            queries=r["queries"],
            median=r["median_ms"],
            p95=r["p95_ms"],
            result="cancelled after 30 s" if r.get("timed_out") else "",
        )
        for r in figures["rows"]
    ]


def dashboard_rows(figures: dict) -> list[dict]:
    return [
        row(
            "dashboard",
            f"100,000 allocations: {r['path']}",
            queries=r["queries"],
            median=r["median_ms"],
            p95=r["p95_ms"],
            ratio=f"{r['ratio_to_minimal']}× minimal",
        )
        for r in figures["rows"]
    ]


def usage_dashboard_rows(figures: dict) -> list[dict]:
    return [
        row(
            "usage dashboard",
            f"{figures['allocations']:,} allocations, {figures['records']:,} usage records: {r['path']}",
            queries=r["queries"],
            median=r["median_ms"],
            p95=r["p95_ms"],
            ratio=f"{r['ratio_to_minimal']}× minimal",
        )
        for r in figures["rows"]
    ]


def provisioning_rows(figures: dict) -> list[dict]:
    rows = [
        row(
            "provisioning",
            f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}, {r['mode']}, {r['allocations']:,} allocations",
            throughput=f"{r['allocations_per_s']} alloc/s",
            ratio=f"{r['ratio']:.1%} of pgbench {r['pgbench_tps']:,.0f} tps",
        )
        for r in figures["rows"]
    ]
    rows.append(
        row("provisioning", "check_capacity after the runs", result="clean" if not figures["drift"] else "DRIFT")
    )
    return rows


def usage_ingest_rows(figures: dict) -> list[dict]:
    rows = [
        row(
            "usage ingest",
            f"{figures['allocations']:,} allocations: {r['case']}",
            median=r["seconds"] * 1000,
            throughput=f"{r['records'] / r['seconds']:,.0f} records/s" if r["seconds"] else "",
        )
        for r in figures["rows"]
    ]
    rows.append(row("usage ingest", "check_usage after the runs", result="clean" if not figures["drift"] else "DRIFT"))
    return rows


LOAD_PHASES = {
    "minimal": "minimal view, 50 users, no pause",
    "mix": "mix",
    "submit_path": "submit path, 50 users, no pause",
}


def load_rows(figures: dict) -> list[dict]:
    rows = []
    for name, phase in figures["phases"].items():
        kinds = phase["kinds"] if name == "mix" else []
        for k in [*kinds, phase["total"]]:
            if k is not phase["total"]:
                case = f"mix: {k['kind']}"
            elif name == "mix":
                case = "mix: all (40 applicants, 10 reviewers, 1-5 s pauses)"
            elif name == "submit_path":
                case = "submit path: start + save draft + submit, 50 users"
            else:
                case = "minimal view, 50 users, no pause"
            ratio = ""
            if name == "minimal":
                ratio = "the ceiling"
            elif name == "submit_path":
                ratio = f"{figures['submit_path_ratio']:.1%} of the ceiling"
            rows.append(
                row(
                    "load test",
                    case,
                    median=k["p50_ms"],
                    p95=k["p95_ms"],
                    p99=k["p99_ms"],
                    throughput=f"{k['per_second']} req/s",
                    ratio=ratio,
                    result=f"{k['errors']} errors",
                )
            )
        if phase["client_cpu_bound"]:
            rows.append(row("load test", f"({LOAD_PHASES[name]}: locust's own process passed 90% of a core)"))
    rows.append(row("load test", "server errors logged by gunicorn", result=str(figures["server_errors_logged"])))
    rows.append(
        row("load test", "submits not found submitted in the database", result=str(figures["submits_not_in_database"]))
    )
    return rows


def scale_out_rows(figures: dict) -> list[dict]:
    webs = " + ".join(str(n) for n in figures["approved_through"].values())
    workers = " + ".join(str(n) for n in figures["provisioned_by"].values())
    rows = [
        row(
            "scale-out",
            f"decision page, 2 webs ({figures['applications']} applications)",
            median=figures["decision_page_ms"]["p50"],
            p95=figures["decision_page_ms"]["p95"],
        ),
        row(
            "scale-out",
            f"approve, alternately on 2 webs ({webs})",
            median=figures["approve_ms"]["p50"],
            p95=figures["approve_ms"]["p95"],
            throughput=f"{figures['approvals_per_s']} approvals/s",
        ),
        row(
            "scale-out",
            f"{figures['allocations_expected']} allocations active, 2 workers ({workers} provisioning messages)",
            throughput=f"{figures['allocations_per_s']} alloc/s",
            result=f"after {figures['all_active_in_s']} s",
        ),
    ]
    rows += [
        row("scale-out", f"check: {name}", result="ok" if ok else "FAILED") for name, ok in figures["checks"].items()
    ]
    return rows


def evaluation_rows(figures: dict) -> list[dict]:
    return [
        row("evaluation", r["case"], queries=r["queries"], median=r["median_ms"], p95=r["p95_ms"])
        for r in figures["rows"]
    ]


def api_rows(figures: dict) -> list[dict]:
    return [
        row("staff API", r["case"], queries=r["queries"], median=r["median_ms"], p95=r["p95_ms"])
        for r in figures["rows"]
    ]


def target_rows(figures: dict[str, dict | None]) -> list[dict]:
    """One row per target of every benchmark that finished: each benchmark's JSON may carry
    ``"targets": [{"target": str, "figure": str, "met": bool}]``, and says itself what it aims at."""
    rows = []
    for name, figures_of in figures.items():
        for target in (figures_of or {}).get("targets", []):
            rows.append(
                row(
                    "target",
                    f"{name}: {target['target']}",
                    ratio=target["figure"],
                    result="met" if target["met"] else "NOT met",
                )
            )
    return rows


ROW_BUILDERS = {
    "review queue": queue_rows,
    "dashboard": dashboard_rows,
    "usage dashboard": usage_dashboard_rows,
    "provisioning": provisioning_rows,
    "usage ingest": usage_ingest_rows,
    "load": load_rows,
    "scale-out": scale_out_rows,
    "evaluation": evaluation_rows,
    "staff API": api_rows,
}
COLUMNS = [
    ("benchmark", "benchmark", "<"),
    ("case", "case", "<"),
    ("queries", "queries", ">"),
    ("median_ms", "median ms", ">"),
    ("p95_ms", "p95 ms", ">"),
    ("p99_ms", "p99 ms", ">"),
    ("throughput", "throughput", ">"),
    ("ratio", "ratio", "<"),
    ("result", "result", "<"),
]


def print_table(rows: list[dict]) -> None:
    widths = {key: max(len(title), *(len(r[key]) for r in rows)) for key, title, _ in COLUMNS}
    line = "  ".join(f"{title:{align}{widths[key]}}" for key, title, align in COLUMNS)
    print(line)
    print("  ".join("-" * widths[key] for key, _, _ in COLUMNS))
    for r in rows:
        print("  ".join(f"{r[key]:{align}{widths[key]}}" for key, _, align in COLUMNS).rstrip())


def main() -> None:
    exit_on_sigterm()
    preflight()
    started = time.perf_counter()
    started_at = datetime.now(ZoneInfo("Asia/Seoul"))
    description = machine()
    log_dir = VAR / "bench-logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    for _, _, _, output in BENCHMARKS:
        (VAR / output).unlink(missing_ok=True)  # a benchmark that fails shows no stale figures
    print("=== collecting static files for the web servers (DEBUG=0)", flush=True)
    collect_static()
    runs, rows, figures = {}, [], {}
    try:
        for name, script, argument, output in BENCHMARKS:
            code, seconds, printed = run(name, script, argument, log_dir)
            retried = code != 0 and FULL_CONNECTION_TABLE in printed
            if retried:
                # PostgreSQL refused a connection because other programs held all of them: that
                # says nothing about the portal, so the benchmark is run once more.
                print(f"=== {name}: PostgreSQL had no free connection; running it again in 30 s", flush=True)
                time.sleep(30)
                code, more, _ = run(name, script, argument, log_dir)
                seconds += more
            path = VAR / output
            figures[name] = json.loads(path.read_text()) if path.exists() else None
            runs[name] = {
                "command": f"{script} {argument or ''}".strip(),
                "exit": code,
                "seconds": round(seconds),
                "retried": retried,
            }
            if figures[name] is None:
                rows.append(row(name, f"did not finish (exit {code}); see var/bench-logs/", result="FAILED"))
            else:
                rows += ROW_BUILDERS[name](figures[name])
    finally:
        shutil.rmtree(STATIC, ignore_errors=True)
    rows += target_rows(figures)
    wall = time.perf_counter() - started
    description["load_average_at_end"] = round(os.getloadavg()[0], 1)
    print(
        f"\nmake bench, {started_at:%Y-%m-%d %H:%M} KST, commit {description['commit']}: {description['cores']} cores "
        f"({description['cpu']}), {description['memory_gib']} GiB, PostgreSQL {description['postgresql']}, "
        f"Redis {description['redis']}, Python {description['python']}; load average "
        f"{description['load_average_at_start']} at the start, {description['load_average_at_end']} at the end"
    )
    print_table(rows)
    durations = ", ".join(
        f"{name} {run_['seconds']} s" + (" (run twice)" if run_["retried"] else "") for name, run_ in runs.items()
    )
    print(f"wall time {wall / 60:.1f} min ({durations})")
    (VAR / "bench.json").write_text(
        json.dumps(
            {
                "started_at": started_at.isoformat(timespec="seconds"),
                "wall_seconds": round(wall),
                "machine": description,
                "runs": runs,
                "rows": rows,
                "figures": figures,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print("written to var/bench.json")
    failed = [name for name, run_ in runs.items() if run_["exit"] != 0 or figures[name] is None]
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
