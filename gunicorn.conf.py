"""gunicorn's settings for the portal's web process. gunicorn reads this file from its working
directory (the image's /app; docker-compose's web service names it too).

With ``PROMETHEUS_MULTIPROC_DIR`` set (docker-compose sets it for web), every worker process
keeps its request metrics in files in that folder and a scrape of /metrics adds them up
(dashboard/metrics.py): the folder is emptied when gunicorn starts, so figures of an earlier
run never count, and a worker that exits is marked dead, so its in-progress gauge drops out.
"""

import os
from pathlib import Path

from gunicorn.glogging import Logger


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class AccessLogWithoutScrapes(Logger):
    """The access log without Prometheus's scrapes of /metrics (one every few seconds)."""

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") == "/metrics":
            return
        super().access(resp, req, environ, request_time)


logger_class = AccessLogWithoutScrapes

# Bounds on what gunicorn reads before Django sees a request (gunicorn's defaults, written down
# so that they are not loosened by accident): the request line, the number of header fields and
# the size of each. gunicorn has no setting that bounds the body: the portal answers 413 to a
# Content-Length over REQUEST_BODY_MAX_BYTES before reading it (portal/request_limits.py), and
# the reverse proxy should refuse such bodies first (nginx: client_max_body_size 45m).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
