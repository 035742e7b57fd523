"""GPU-hours from a real Prometheus: the test serves an exporter with known DCGM series labelled
with the allocations' projects (their external references, as the provisioner made them), a real
Prometheus scrapes it every second, and the Prometheus source's figures for a window of a few
seconds are checked against hand-worked ones. The window stands in for a day; the formula is the
same (metering/sources/prometheus.py)."""

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from metering.models import UsageRecord
from metering.services import usage_collect
from metering.sources.prometheus import PrometheusSource
from tests.metering.conftest import award, pool
from tests.processes import free_port
from tests.prometheus_server import prometheus, prometheus_binary

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

WINDOW_SECONDS = 4


def exporter_text(projects: dict[str, list[int]]) -> str:
    """The DCGM exporter's page: one utilisation gauge per GPU, labelled with its project; plus a
    GPU of another tenant and one assigned to no project, which no allocation may count."""
    lines = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).", "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
    number = 0
    for project, utilisations in [*projects.items(), ("other-tenant", [80])]:
        for utilisation in utilisations:
            lines.append(
                f'DCGM_FI_DEV_GPU_UTIL{{gpu="{number}",UUID="GPU-{number:04d}",modelName="NVIDIA A100-SXM4-80GB",'
                f'Hostname="gpu-node-1",project="{project}"}} {utilisation}'
            )
            number += 1
    lines.append(f'DCGM_FI_DEV_GPU_UTIL{{gpu="{number}",UUID="GPU-{number:04d}",Hostname="gpu-node-1"}} 100')
    return "\n".join(lines) + "\n"


def serve(text: str) -> tuple[ThreadingHTTPServer, int]:
    class Exporter(BaseHTTPRequestHandler):
        def do_GET(self):
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Exporter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def test_gpu_hours_per_allocation_from_a_real_prometheus(tmp_path):
    prometheus_binary()
    today = timezone.localdate()
    gpu, storage = pool("A100 GPU"), pool("Storage", "tb", kind="storage")
    period = (today - timedelta(days=10), today + timedelta(days=10))
    busy, half, silent = award(gpu, 8, *period), award(gpu, 4, *period), award(gpu, 2, *period)
    stored = award(storage, 10, *period)
    assert busy.external_ref == f"nai-dc/quota/{busy.pk}"  # the modelled provisioner's project
    utilisations = {busy.external_ref: [100] * 8, half.external_ref: [75, 25, 50, 50]}
    exporter, exporter_port = serve(exporter_text(utilisations))
    scrape = {"job_name": "dcgm", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
    try:
        with prometheus(tmp_path, [scrape]) as server:
            server.wait_until(lambda: server.value("count(DCGM_FI_DEV_GPU_UTIL)") == "14", "the GPUs scraped")
            # A window of whole seconds that starts after the first scrape and has ended, with a
            # scrape after it: every instant in it sees each GPU's value.
            start = datetime.fromtimestamp(int(time.time()) + 1, tz=UTC)
            end = start + timedelta(seconds=WINDOW_SECONDS)
            server.wait_until(lambda: time.time() > end.timestamp() + 1.5, "the window over")
            source = PrometheusSource(url=server.url, window=lambda day: (start, end), step_seconds=1)

            hours = source.gpu_hours(start, end)
            usage_collect(day=today - timedelta(days=1), source=source)
    finally:
        exporter.shutdown()

    # Σ over GPUs of (mean utilisation / 100) × hours of the window: 4 s = 1/900 h.
    window_hours = Decimal(WINDOW_SECONDS) / 3600
    assert abs(hours[busy.external_ref] - 8 * window_hours) < Decimal("1e-9")  # 0.00888… GPU-hours
    assert abs(hours[half.external_ref] - 2 * window_hours) < Decimal("1e-9")  # (0.75 + 0.25 + 0.5 + 0.5) × 1/900
    assert abs(hours["other-tenant"] - Decimal("0.8") * window_hours) < Decimal("1e-9")
    assert silent.external_ref not in hours
    # Stored per allocation, to the thousandth; the GPU allocation without series used nothing,
    # and storage is not Prometheus's to measure.
    records = dict(UsageRecord.objects.filter(source="prometheus").values_list("allocation_id", "used"))
    assert records == {busy.pk: Decimal("0.009"), half.pk: Decimal("0.002"), silent.pk: Decimal("0.000")}
    assert stored.pk not in records
