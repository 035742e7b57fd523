"""The benchmarks' own pieces that can break silently: their web servers' settings must import
and serve the minimal view, and the benchmark tools must be pinned (see also
tests/applications/test_bench_browser_form.py).

(The benchmarks themselves print figures; `make bench` runs them, not the test suite.)
"""

import re

import pytest
from django.test import Client
from django.urls import resolve

from tests.processes import PRODUCTION_ENV, ROOT, portal_env, run_python


def test_benchmark_requirements_pin_exact_versions():
    lines = [line.strip() for line in (ROOT / "requirements-bench.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements
    for requirement in requirements:
        assert re.fullmatch(r"[A-Za-z0-9._\-\[\],]+==[0-9][0-9A-Za-z.\-+]*", requirement), requirement


def test_the_bench_settings_serve_the_portal_and_a_minimal_view_over_plain_http():
    import bench.load_settings as bench_settings

    assert bench_settings.ROOT_URLCONF == "bench.load_urls"
    assert not bench_settings.SECURE_SSL_REDIRECT
    assert not bench_settings.SESSION_COOKIE_SECURE and not bench_settings.CSRF_COOKIE_SECURE
    assert resolve("/bench/minimal/", urlconf="bench.load_urls").url_name == "bench_minimal"
    assert resolve("/calls/", urlconf="bench.load_urls").url_name == "call_list"


@pytest.mark.integration
def test_the_bench_servers_keep_djangos_cookie_names_under_the_production_settings():
    # The benchmarks' clients send `sessionid` and `csrftoken` over plain HTTP; under DEBUG=0 the
    # portal's own settings would name them __Host-…, and every page would be an anonymous one.
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)"
    )
    env = portal_env({**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "bench.load_settings"})

    result = run_python(code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sessionid", "csrftoken", "django_language"]


@pytest.mark.django_db
def test_the_minimal_view_answers_through_the_portal_middleware(settings):
    settings.ROOT_URLCONF = "bench.load_urls"

    response = Client().get("/bench/minimal/")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "Content-Security-Policy" in response


def test_the_report_prints_each_target_a_benchmark_names_with_its_verdict():
    from bench.report import target_rows

    figures = {
        "load": {
            "targets": [
                {"target": "p95 < 250 ms", "figure": "slowest p95 120 ms", "met": True},
                {"target": "submit path ≥ 20%", "figure": "12.0%", "met": False},
            ]
        },
        "review queue": {"rows": []},  # a benchmark that names no target
        "dashboard": None,  # one that did not finish
    }

    rows = target_rows(figures)

    assert [(row["benchmark"], row["case"], row["ratio"], row["result"]) for row in rows] == [
        ("target", "load: p95 < 250 ms", "slowest p95 120 ms", "met"),
        ("target", "load: submit path ≥ 20%", "12.0%", "NOT met"),
    ]


def test_the_peak_memory_of_a_process_tree_counts_its_children():
    import os
    import subprocess
    import sys

    from bench.harness import peak_rss_of_tree

    holds_40_mib = "import sys, time; b = bytearray(40 * 2**20); print(flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", holds_40_mib], stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # the memory is taken
        tree = peak_rss_of_tree(os.getpid())
    finally:
        child.kill()
        child.wait()

    assert tree[os.getpid()] > 0
    assert tree[child.pid] >= 40  # MB: the 40 MiB it holds, and the interpreter
