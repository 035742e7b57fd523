"""Liveness (/healthz) and readiness (/readyz) for load balancers and container health checks.

Answered by a middleware that runs before host validation and the HTTPS redirect: orchestrators
probe the container on plain HTTP at its own address, which is neither an allowed host nor TLS.

/readyz checks the database, the broker and the cache and names each part that fails. Only the
database makes the portal unable to serve (503, "unavailable"): without the broker the work
waits in the outbox, without Redis the cache is a database table (portal/cache.py), so those
answer 200 "degraded", and a load balancer keeps sending visitors to a portal that still works.

What failed and why (the parts, their exception classes) is for operators: the caller that
``portal.monitoring`` allows (the loopback addresses, where the container's health check runs,
and the bearer of the metrics token) and a logged-in staff member. Anyone else, on any Host,
gets the status alone (``{"status": "degraded"}``, 200 or 503), which is all a load balancer
reads.
"""

import os
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu import Connection

from portal.cache import cache_status
from portal.monitoring import monitoring_allowed

HEALTH_PATHS = ("/healthz", "/readyz")


def database_status() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means "not ready"; the reason is reported
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def broker_status(timeout: int = 1) -> str:
    """The broker's state, "ok" or why it cannot be reached, within about ``timeout`` seconds: it bounds
    connecting and the broker's answer, so a broker that accepts connections and never answers
    costs ``timeout`` (the settings' longer socket timeouts are for publishing)."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = options.get("data_folder_out", "")
        if not os.access(folder, os.W_OK):
            return "unavailable (broker folder not writable)"
        return "ok"
    options = {
        **options,
        "socket_connect_timeout": min(options.get("socket_connect_timeout", timeout), timeout),
        "socket_timeout": min(options.get("socket_timeout", timeout), timeout),
    }
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=1, timeout=timeout)
            conn.default_channel  # noqa: B018 - opening the channel is the check (Redis answers PING)
    except Exception as exc:
        return f"unavailable ({type(exc).__name__})"
    return "ok"


def readiness() -> dict[str, str]:
    return {"database": database_status(), "broker": broker_status(), "cache": cache_status()}


def staff_signed_in(request: HttpRequest) -> bool:
    """Whether the request carries the session of an active staff member. The health check
    answers before the session and authentication middleware, so it reads the session itself;
    a session it cannot read (the database is down) is nobody's."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    try:
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        user = get_user(request)
        return bool(user.is_active and user.is_staff)
    except Exception:  # an unreadable session shows the public answer, never a server error
        return False


def details_allowed(request: HttpRequest) -> bool:
    return monitoring_allowed(request) or staff_signed_in(request)


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain")
        if request.path == "/readyz":
            checks = readiness()
            failing = [part for part, status in checks.items() if status != "ok"]
            if checks["database"] != "ok":
                status = "unavailable"
            else:
                status = "degraded" if failing else "ready"
            answer: dict[str, object] = {"status": status}
            if details_allowed(request):
                answer.update(failing=failing, checks=checks)
            return JsonResponse(answer, status=503 if status == "unavailable" else 200)
        return self.get_response(request)
