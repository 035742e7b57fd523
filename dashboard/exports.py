"""The dashboard's tables as CSV files: UTF-8 with a byte-order mark, so that Excel opens Korean
text correctly, the same figures as the page, and no cell that a spreadsheet would run as a
formula (``portal.spreadsheets``, which writes every CSV file of the portal)."""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accesslog.models import AccessRecord
from aftercare.selectors import survey_summary
from applications.models import Call
from dashboard.selectors.breakdowns import call_breakdowns
from dashboard.selectors.calls import call_demand, call_funnel, waitlist
from dashboard.selectors.capacity import capacity_overview, expiring_allocations
from dashboard.selectors.usage import RECENT_DAYS, idle_list, recent_usage_rates, usage_breakdowns, used_series
from pool.models import Offering
from portal.spreadsheets import FORMULA_STARTS, csv_cell, csv_response
from reclaim.selectors import reclaimed_capacity

Table = tuple[list, Iterable[list]]


def _average(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


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
        _("Used (average per day)"),
    ]
    overview = capacity_overview(start, end)
    used = used_series([row.offering for row in overview], start, end)
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
            _average(series.average(run.start, run.end)) if (series := used.get(row.offering.pk)) else None,
        ]
        for row in overview
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
        for row in capacity_overview(start, end)
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
        for demand in call_demand(call, list(Offering.objects.order_by("kind", "name")))
    ]
    return header, rows


def funnel_rows(call: Call | None, start: date, end: date) -> Table:
    """The page's two funnel tables in one file, each row saying which it belongs to: how far
    the applications went (a stage counts every application that reached it) and their status
    now (each application once). "Submitted" is a row of both, with different figures."""
    header = [_("Counted by"), _("Stage or status"), _("Applications")]
    if call is None:
        return header, []
    funnel = call_funnel(call)
    stage, status_now = _("Stage"), _("Status now")
    rows: list[list] = [[stage, label, value] for _key, label, value in funnel.stages]
    rows += [[status_now, label, count] for _status, label, count in funnel.statuses]
    rows.append([status_now, _("Submitted without a priority claim"), funnel.without_claim])
    return header, rows


def breakdown_rows(call: Call | None, start: date, end: date) -> Table:
    header = [_("Breakdown"), _("Category"), _("Applications"), _("Approved"), _("Approval rate (%)")]
    rows = [
        [breakdown.label, row.label, row.applications, row.approved, row.approval_rate]
        for breakdown in call_breakdowns(call)
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
        for allocation in expiring_allocations().iterator(chunk_size=2000)
    )
    return header, rows


def waitlist_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Rank"),
        _("Organisation"),
        _("Priority score"),
        pgettext_lazy("submitted at", "Submitted"),
        pgettext_lazy("requested resources", "Requested"),
    ]
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
        for application in waitlist(call)
    ]
    return header, rows


def _two_decimals(value: float | None) -> Decimal | None:
    """Rounded as the page's ``floatformat`` rounds it: half up, from the float's shortest decimal."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def survey_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Question"),
        _("Average (1–5)"),
        _("Ratings"),
        *(_("Rated %(score)s") % {"score": score} for score in range(1, 6)),
    ]
    rows = [
        [
            question.question,
            _two_decimals(question.average),
            question.answers,
            *question.distribution,
        ]
        for question in survey_summary(call).questions
    ]
    return header, rows


def offering_usage_rows(call: Call | None, start: date, end: date) -> Table:
    """Each offering's usage rate over the last days (the usage page's first table)."""
    header = [_("Offering"), _("Unit"), _("From"), _("Until"), _("Used (average per day)"), _("Usage rate (%)")]
    today = timezone.localdate()
    first = today - timedelta(days=RECENT_DAYS - 1)
    rows = [
        [
            usage.offering.name,
            usage.offering.get_unit_display(),
            first,
            today,
            _average(usage.used_average),
            usage.rate,
        ]
        for usage in recent_usage_rates(today)
    ]
    return header, rows


def idle_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Organisation"),
        _("Call"),
        _("Offering"),
        _("Unit"),
        _("Granted"),
        _("In use (average)"),
        _("Idle"),
        _("Usage rate (%)"),
        _("Last used on"),
        _("From"),
        _("Until"),
    ]
    rows = (
        [
            idle.organisation,
            idle.call,
            idle.offering,
            idle.unit,
            idle.quantity,
            _average(idle.used_units),
            _average(idle.idle_units),
            idle.rate,
            idle.last_used_on,
            idle.starts_on,
            idle.ends_on,
        ]
        for idle in idle_list()
    )
    return header, rows


def usage_rate_rows(call: Call | None, start: date, end: date) -> Table:
    header = [
        _("Breakdown"),
        _("Category"),
        _("Offering"),
        _("Measure"),
        _("Allocations"),
        _("Granted"),
        _("Used"),
        _("Usage rate (%)"),
    ]
    rows = [
        [breakdown.label, row.label, cell.offering, cell.measure, cell.allocations, cell.granted, cell.used, cell.rate]
        for breakdown in usage_breakdowns(call)
        for row in breakdown.rows
        for cell in row.cells
        if cell is not None
    ]
    return header, rows


def access_log_rows(records: Iterable[AccessRecord]) -> Table:
    """The personal-data access log, one row per record, for an audit."""
    header = [
        _("When"),
        _("Staff member"),
        _("Access"),
        _("Page or file"),
        _("Kind of record"),
        _("Record id"),
        _("What"),
        _("From (IP address)"),
        _("Address requested"),
    ]
    rows = (
        [
            timezone.localtime(record.at).strftime("%Y-%m-%d %H:%M:%S"),
            record.actor_email,
            record.get_kind_display(),
            record.get_page_display(),
            record.content_type.name if record.content_type else "",
            record.object_id,
            record.object_repr,
            record.ip_address,
            record.path,
        ]
        for record in records
    )
    return header, rows


def reclaimed_rows(call: Call | None, start: date, end: date) -> Table:
    """Reclaimed capacity and where it went (``reclaim.selectors.reclaimed_capacity``): one row
    per wait-listed application approved with reclaimed units, and one per offering whose
    reclaimed units no application took yet."""
    header = [
        _("Offering"),
        _("Unit"),
        pgettext_lazy("reclaim", "Cases"),
        _("Units reclaimed"),
        _("Units approved from the wait-list"),
        _("Approved organisation"),
        _("Its call"),
        _("Its units"),
        _("Reclaim case"),
        _("Organisation reclaimed from"),
    ]
    rows = []
    for row in reclaimed_capacity(start, end, call):
        summary = [row.offering.name, row.offering.get_unit_display(), row.cases, row.units, row.offered_units]
        if not row.offers:
            rows.append([*summary, None, None, None, None, None])
        for offer in row.offers:
            rows.append(
                [
                    *summary,
                    offer.application.organization.legal_name,
                    offer.application.call.title,
                    offer.units,
                    offer.case.pk,
                    offer.case.organization.legal_name,
                ]
            )
    return header, rows


TABLES: dict[str, Callable[[Call | None, date, date], Table]] = {
    "capacity": capacity_rows,
    "utilisation": utilisation_rows,
    "demand": demand_rows,
    "funnel": funnel_rows,
    "breakdowns": breakdown_rows,
    "expiring": expiring_rows,
    "waitlist": waitlist_rows,
    "surveys": survey_rows,
    "offering_usage": offering_usage_rows,
    "idle": idle_rows,
    "usage_rates": usage_rate_rows,
    "reclaimed": reclaimed_rows,
}
# The tables that name organisations: exporting one is recorded in the personal-data access log.
NAMING_ORGANISATIONS = frozenset({"expiring", "waitlist", "idle", "reclaimed"})

__all__ = ["FORMULA_STARTS", "csv_cell", "csv_response"]
