"""The dashboard's tables as CSV files: UTF-8 with a byte-order mark, so that Excel opens Korean
text correctly, and the same figures as the page."""

import csv
from collections.abc import Callable, Iterable
from datetime import date

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Call
from dashboard import selectors
from pool.models import Offering

Table = tuple[list, Iterable[list]]


def capacity_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Offering"),
        _("Unit"),
        _("From"),
        _("Until"),
        _("Capacity"),
        _("Active"),
        _("Being provisioned"),
        _("Free"),
    ]
    rows = [
        [
            row.offering.name,
            row.offering.get_unit_display(),
            run.start,
            run.end,
            run.capacity,
            run.in_service,
            run.being_provisioned,
            run.free,
        ]
        for row in selectors.capacity_overview(start, end)
        for run in row.runs
    ]
    return header, rows


def utilisation_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Offering"),
        _("Unit"),
        _("Capacity today"),
        _("Allocated today"),
        _("Utilisation (%)"),
        _("Capacity (PF or PB)"),
        _("Allocated (PF or PB)"),
    ]
    rows = [
        [
            row.offering.name,
            row.offering.get_unit_display(),
            row.capacity_today,
            row.allocated_today,
            row.utilisation_today,
            row.in_announced_units(row.capacity_today),
            row.in_announced_units(row.allocated_today),
        ]
        for row in selectors.capacity_overview(start, end)
    ]
    return header, rows


def demand_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Offering"),
        _("Unit"),
        _("Applications awaiting a decision"),
        _("Units awaiting a decision"),
        _("Units granted"),
        _("Free in the service period"),
        _("Shortfall"),
        _("Coverage (%)"),
    ]
    if call is None:
        return header, []
    rows = [
        [
            demand.offering.name,
            demand.offering.get_unit_display(),
            demand.awaiting_applications,
            demand.awaiting,
            demand.granted,
            demand.free,
            demand.shortfall,
            demand.coverage,
        ]
        for demand in selectors.call_demand(call, list(Offering.objects.order_by("kind", "name")))
    ]
    return header, rows


def funnel_rows(call: Call | None, start: date, end: date) -> Table:
    header = [_("Stage"), _("Applications")]
    if call is None:
        return header, []
    funnel = selectors.call_funnel(call)
    rows = [[label, value] for _key, label, value in funnel.stages]
    rows += [[label, count] for _status, label, count in funnel.statuses]
    return header, rows


def breakdown_rows(call: Call | None, start: date, end: date) -> Table:
    header = [_("Breakdown"), _("Category"), _("Applications"), _("Approved"), _("Approval rate (%)")]
    rows = [
        [breakdown.label, row.label, row.applications, row.approved, row.approval_rate]
        for breakdown in selectors.call_breakdowns(call)
        for row in breakdown.rows
    ]
    return header, rows


def expiring_rows(call: Call | None, start: date, end: date) -> Table:
    header = [_("Organisation"), _("Call"), _("Offering"), _("Quantity"), _("From"), _("Until")]
    rows = (
        [
            allocation.organization.legal_name,
            allocation.application_item.application.call.title,
            allocation.offering.name,
            allocation.quantity,
            allocation.starts_on,
            allocation.ends_on,
        ]
        for allocation in selectors.expiring_allocations().iterator(chunk_size=2000)
    )
    return header, rows


def waitlist_rows(call: Call | None, start: date, end: date) -> Table:
    header = [_("Rank"), _("Organisation"), _("Priority score"), _("Submitted"), _("Requested")]
    if call is None:
        return header, []
    rows = [
        [
            application.rank,
            application.organization.legal_name,
            application.priority_score,
            timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M") if application.submitted_at else "",
            "; ".join(f"{item.offering.name} × {item.quantity}" for item in application.items.all()),
        ]
        for application in selectors.waitlist(call)
    ]
    return header, rows


TABLES: dict[str, Callable[[Call | None, date, date], Table]] = {
    "capacity": capacity_rows,
    "utilisation": utilisation_rows,
    "demand": demand_rows,
    "funnel": funnel_rows,
    "breakdowns": breakdown_rows,
    "expiring": expiring_rows,
    "waitlist": waitlist_rows,
}


def csv_response(name: str, table: Table) -> HttpResponse:
    header, rows = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")  # the byte-order mark: Excel reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([str(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    return response
