from collections.abc import Callable
from time import perf_counter

from django.http import HttpRequest, HttpResponse

from dashboard.metrics import METRICS_PATH, REQUESTS_IN_PROGRESS, exposition, record_request, scrape_allowed


class RequestMetricsMiddleware:
    """Counts and times every request below it, labelled by the URL pattern's name, and answers
    an allowed scrape of /metrics at once: before host validation and the HTTPS redirect, since
    Prometheus scrapes the container over plain HTTP at its own address (like /readyz). A
    refused scrape goes on down the stack and is answered 404 like any unknown page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == METRICS_PATH and scrape_allowed(request):
            return exposition(request)
        started = perf_counter()
        REQUESTS_IN_PROGRESS.inc()
        try:
            response = self.get_response(request)
        finally:
            REQUESTS_IN_PROGRESS.dec()
        match = request.resolver_match
        record_request(
            method=request.method or "",
            view=match.view_name if match is not None else "unmatched",
            status=response.status_code,
            seconds=perf_counter() - started,
        )
        return response
