"""Prometheus metrics at /metrics, so that operators learn of an outage before users tell them.

Two kinds of figures:

- **Requests** (``portal_http_*``): counted and timed in each web process by
  ``dashboard.middleware.RequestMetricsMiddleware``, labelled by method, the URL pattern's name
  (never the raw path: a bounded set of series) and the status class. gunicorn runs several
  worker processes: with ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client keeps each
  process's figures in files in that folder and a scrape adds up every worker's
  (``gunicorn.conf.py`` clears the folder at start and marks a worker that exits as dead).
- **The portal's own backlog** (queued e-mails, the outbox, allocations waiting for the cloud,
  failed provisioning, ledger drift, the broker): read from the database and the broker by
  ``BacklogCollector`` at every scrape, through the owning apps' selectors, so they are right
  whichever process answers.

Who may scrape: the addresses of ``METRICS_ALLOWED_IPS`` (the connecting address), or anyone
sending ``Authorization: Bearer <METRICS_TOKEN>`` (``portal.monitoring``, the rule /readyz's
details follow too); anyone else gets the site's 404, as for a
page that does not exist. Help texts are for operators' tools, in English, not translated.
"""

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from allocations import ledger
from allocations.selectors import allocations_failed, provisioning_backlog
from notifications.selectors import queued_backlog
from outbox.services import outbox_backlog
from portal.health import broker_status
from portal.monitoring import monitoring_allowed as scrape_allowed

METRICS_PATH = "/metrics"

# A scrape must answer well within Prometheus's timeout (10 s by default) even when the broker
# accepts connections and never answers: the check gives up after this long.
BROKER_CHECK_SECONDS = 1

# Methods outside this set are counted as "other": a client chooses the method, and every
# distinct label value is a new series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# No "_created" series beside each counter and histogram: twice the series for a figure no
# alert reads (multiprocess mode has none either).
disable_created_metrics()

# In multiprocess mode every process that imports this module writes its figures to files there
# (gunicorn.conf.py empties the folder as the web server starts); a manage.py command run in the
# web container, with the same environment, must find the folder too.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The request metrics of this process (in single-process mode, what a scrape reads).
REQUEST_METRICS = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "portal_http_requests",
    "HTTP requests answered, by method, view (URL pattern name, or 'unmatched') and status class.",
    ["method", "view", "status"],
    registry=REQUEST_METRICS,
)
REQUEST_DURATION = Histogram(
    "portal_http_request_duration_seconds",
    "Time from the request reaching the portal's middleware to its response, by method and view.",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REQUEST_METRICS,
)
REQUESTS_IN_PROGRESS = Gauge(
    "portal_http_requests_in_progress",
    "HTTP requests being answered now, summed over the live web processes.",
    multiprocess_mode="livesum",
    registry=REQUEST_METRICS,
)


def record_request(*, method: str, view: str, status: int, seconds: float) -> None:
    method = method if method in KNOWN_METHODS else "other"
    REQUESTS.labels(method=method, view=view, status=f"{status // 100}xx").inc()
    REQUEST_DURATION.labels(method=method, view=view).observe(seconds)


# ``ledger_drift`` recomputes every ledger day from the allocations, in Python: about 0.3 s at
# 3,000 allocations of half a year, 1 s at 10,000 (README). A web process recomputes it at most
# this often and serves its last figures in between; beat's hourly check_capacity logs the same.
LEDGER_DRIFT_SECONDS = 300
_ledger_drift_memo: tuple[float, int, int] | None = None  # (time.monotonic(), days, over-committed days)


def _ledger_drift_figures() -> tuple[int, int]:
    global _ledger_drift_memo
    if _ledger_drift_memo is None or time.monotonic() - _ledger_drift_memo[0] >= LEDGER_DRIFT_SECONDS:
        drift = ledger.ledger_drift()
        _ledger_drift_memo = (time.monotonic(), len(drift), sum(1 for row in drift if row.overcommitted))
    return _ledger_drift_memo[1], _ledger_drift_memo[2]


def _seconds(age: timedelta | None) -> float:
    return max(age.total_seconds(), 0.0) if age is not None else 0.0


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class BacklogCollector(Collector):
    """The portal's backlog, read at each scrape (five queries, and every few minutes
    ``ledger_drift``'s recomputation of every ledger day: see the README for its cost)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.monotonic()
        # The broker is asked while the database is read: a broker that never answers costs the
        # scrape BROKER_CHECK_SECONDS, not that on top of the queries.
        with ThreadPoolExecutor(max_workers=1) as executor:
            broker = executor.submit(broker_status, timeout=BROKER_CHECK_SECONDS)
            try:
                figures = list(self._database_figures())
            except DatabaseError:
                # The scrape still answers (the broker and the requests), and says what is missing.
                figures = []
            broker_up = broker.result() == "ok"
        yield _gauge("portal_broker_up", "1 when the Celery broker answers, 0 when it cannot be reached.", broker_up)
        yield from figures
        yield _gauge("portal_database_up", "1 when the database answered this scrape's queries, else 0.", bool(figures))
        yield _gauge(
            "portal_metrics_collect_duration_seconds",
            "Time this scrape spent reading the backlog from the database and the broker.",
            time.monotonic() - started,
        )

    def _database_figures(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        count, age = queued_backlog(now)
        yield _gauge("portal_emails_queued", "E-mails recorded and waiting to be delivered.", count)
        yield _gauge(
            "portal_emails_queued_oldest_age_seconds",
            "Age of the oldest e-mail waiting to be delivered (0 when none waits).",
            _seconds(age),
        )
        count, age = outbox_backlog()
        yield _gauge("portal_outbox_messages", "Background tasks asked for and not yet handed to the broker.", count)
        yield _gauge(
            "portal_outbox_oldest_age_seconds",
            "Age of the oldest task waiting for the broker in the outbox (0 when none waits).",
            _seconds(age),
        )
        waiting = GaugeMetricFamily(
            "portal_allocations_waiting",
            "Granted allocations not yet active, by state (pending, provisioning).",
            labels=["state"],
        )
        oldest = GaugeMetricFamily(
            "portal_allocations_waiting_oldest_age_seconds",
            "Time the allocation longest in this state has been in it (0 when none is), by state.",
            labels=["state"],
        )
        for state, (count, age) in provisioning_backlog(now).items():
            waiting.add_metric([state], count)
            oldest.add_metric([state], _seconds(age))
        yield waiting
        yield oldest
        yield _gauge(
            "portal_allocations_failed",
            "Allocations whose provisioning failed (their capacity returned to the pool), all time.",
            allocations_failed(),
        )
        drift_days, overcommitted_days = _ledger_drift_figures()
        yield _gauge(
            "portal_capacity_ledger_drift_days",
            "Capacity ledger days (offering and day) whose figures differ from the allocations and "
            "phases they summarise, as check_capacity reports them (0 when the ledger is exact); "
            "recomputed at most every 5 minutes.",
            drift_days,
        )
        yield _gauge(
            "portal_capacity_ledger_overcommitted_days",
            "Capacity ledger days whose allocations hold more than the day's capacity (as above).",
            overcommitted_days,
        )


def exposition(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus's text format, for a scrape already allowed."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    # A registry per scrape: auto_describe off, so registering never runs the collectors.
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every web process's request metrics, this one's included
    else:
        registry.register(REQUEST_METRICS)
    registry.register(BacklogCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


@csrf_exempt  # a refused POST answers 404 like any unknown page, never a CSRF failure
def metrics(request: HttpRequest) -> HttpResponse:
    """/metrics through the URL map. ``RequestMetricsMiddleware`` answers allowed scrapes before
    host validation and the HTTPS redirect (Prometheus scrapes the container over plain HTTP);
    what reaches this view was refused there, and gets the site's ordinary 404."""
    if not scrape_allowed(request):
        raise Http404
    return exposition(request)
