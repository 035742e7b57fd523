from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accesslog.http import record_access
from accesslog.models import AccessPage
from accesslog.selectors import access_records_between
from accounts.http import AuthenticatedRequest
from aftercare.selectors import allocations_of_member
from dashboard import exports
from dashboard.charts import usage_chart
from dashboard.figures import LIST_LIMIT, DashboardFigures, PublicFigures, UsageFigures
from dashboard.forms import AccessLogPeriodForm, DashboardFilterForm
from dashboard.selectors.calls import calls_for_filter
from dashboard.selectors.capacity import EXPIRING_WITHIN_DAYS
from dashboard.selectors.usage import RECENT_DAYS, allocation_usage
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
def dashboard_usage(request: HttpRequest) -> HttpResponse:
    """What was used of what was granted: usage rates per offering, the idle list, usage rates
    by call, industry and region."""
    form = _filters(request)
    call = form.selected_call
    today = timezone.localdate()
    return render(
        request,
        "dashboard/usage.html",
        {
            "form": form,
            "call": call,
            "today": today,
            "figures": UsageFigures(call, today),
            "cache_seconds": settings.DASHBOARD_CACHE_SECONDS,
            "data_version": data_version.current(),  # before any figure (see dashboard())
            "list_limit": LIST_LIMIT,
            "recent_days": RECENT_DAYS,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@login_required
def allocation_usage_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An allocation's usage for its organisation's members: used against granted over the
    service period, what remains, the usage rate so far. Anyone else gets a 404."""
    allocation = get_object_or_404(allocations_of_member(request.user), pk=pk)
    figures = allocation_usage(allocation, timezone.localdate())
    return render(
        request,
        "dashboard/allocation_usage.html",
        {"allocation": allocation, "figures": figures, "chart": usage_chart(figures)},
    )


@require_GET
@login_required
@can_view_dashboard
def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in exports.TABLES:
        raise Http404
    form = _filters(request)
    call = form.selected_call
    response = exports.csv_response(table, exports.TABLES[table](call, *form.period()))
    if table in exports.NAMING_ORGANISATIONS:
        name = f"{table}.csv"
        record_access(request, page=AccessPage.DASHBOARD_EXPORT, description=f"{name} · {call}" if call else name)
    return response


@require_GET
@login_required
@permission_required("accesslog.view_accessrecord", raise_exception=True)
def access_log_export(request: HttpRequest) -> HttpResponse:
    """A period of the personal-data access log as CSV, for an audit (the form is on the log's list
    in the admin); the export is itself recorded in the log."""
    form = AccessLogPeriodForm(request.GET)
    if not form.is_valid():
        reversed_period = form.has_error(NON_FIELD_ERRORS)
        messages.error(
            request,
            _("The start of the period must not be after its end.")
            if reversed_period
            else _("Enter the first and the last day of the period."),
        )
        return redirect("admin:accesslog_accessrecord_changelist")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    name = f"access-log-{start:%Y%m%d}-{end:%Y%m%d}"
    response = exports.csv_response(name, exports.access_log_rows(access_records_between(start, end).iterator()))
    record_access(request, page=AccessPage.ACCESS_LOG_EXPORT, description=f"{name}.csv")
    return response


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
            "recent_days": RECENT_DAYS,
        },
    )
