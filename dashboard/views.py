from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dashboard import exports
from dashboard.figures import LIST_LIMIT, DashboardFigures, PublicFigures
from dashboard.forms import DashboardFilterForm
from dashboard.selectors.calls import calls_for_filter
from dashboard.selectors.capacity import EXPIRING_WITHIN_DAYS
from portal import data_version

can_view_dashboard = permission_required("dashboard.view_dashboard", raise_exception=True)


def _filters(request: HttpRequest) -> DashboardFilterForm:
    form = DashboardFilterForm(request.GET, calls=calls_for_filter())
    form.is_valid()
    return form


@require_GET
@login_required
@can_view_dashboard
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _filters(request)
    call = form.selected_call
    start, end = form.period()
    today = timezone.localdate()
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "call": call,
            "start": start,
            "end": end,
            "today": today,
            "figures": DashboardFigures(call, start, end, today),
            "cache_seconds": settings.DASHBOARD_CACHE_SECONDS,
            # Read before the template computes any figure: a change committing meanwhile moves
            # the version on, so a page cached under this one is not served after that change.
            "data_version": data_version.current(),
            "list_limit": LIST_LIMIT,
            "expiring_days": EXPIRING_WITHIN_DAYS,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@login_required
@can_view_dashboard
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in exports.TABLES:
        raise Http404
    form = _filters(request)
    return exports.csv_response(table, exports.TABLES[table](form.selected_call, *form.period()))


@require_GET
def public_statistics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "dashboard/public_statistics.html",
        {
            "today": today,
            "figures": PublicFigures(today),
            "cache_seconds": settings.DASHBOARD_CACHE_SECONDS,
            "data_version": data_version.current(),  # before any figure (see dashboard())
            "list_limit": LIST_LIMIT,
        },
    )
