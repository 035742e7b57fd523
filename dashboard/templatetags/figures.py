"""Numbers on the dashboard: thousands separated by commas (as in Korean and English), cheaply.

Django's ``intcomma`` localises through the format machinery on every call, which shows on a
page of thousands of cells; both of the portal's languages group digits the same way.
"""

from django import template
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, format_html, format_html_join

register = template.Library()


@register.filter
def figure(value) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


# The dashboard's long lists (up to LIST_LIMIT rows each) are rendered here rather than by a
# template loop: the same markup, without the template engine's per-variable work on every cell,
# which dominated the page's time at the list's length.


@register.simple_tag
def waitlist_rows(applications, limit: int, may_view_applications: bool) -> str:
    """The wait-list table's rows: rank, organisation (linked to its application in the
    administration for those who may view it), score, what it asked for."""

    def organisation(application) -> str:
        name = application.organization.legal_name
        if not may_view_applications:
            return conditional_escape(name)
        url = reverse("admin:applications_application_change", args=[application.pk])
        return format_html('<a href="{}">{}</a>', url, name)

    def requested(application) -> str:
        items = application.items.all()
        return format_html_join(", ", "{} × {}", ((item.offering.name, figure(item.quantity)) for item in items))

    return format_html_join(
        "\n",
        '<tr>\n              <td class="text-end">{}</td>\n              <td>{}</td>\n'
        '              <td class="text-end">{}</td>\n              <td>{}</td>\n            </tr>',
        (
            (
                localize(application.rank),
                organisation(application),
                localize(application.priority_score),
                requested(application),
            )
            for application in applications[:limit]
        ),
    )


@register.simple_tag
def expiring_rows(rows, limit: int) -> str:
    """The rows of the allocations ending soon (``dashboard.selectors.capacity.Expiring``): last
    day, organisation, offering, quantity, call."""
    return format_html_join(
        "\n",
        "<tr>\n          <td>{}</td>\n          <td>{}</td>\n          <td>{}</td>\n"
        '          <td class="text-end">{} {}</td>\n          <td>{}</td>\n        </tr>',
        (
            (
                date_format(row.ends_on, "DATE_FORMAT"),
                row.organisation,
                row.offering,
                figure(row.quantity),
                row.unit,
                row.call,
            )
            for row in rows[:limit]
        ),
    )


@register.filter
def decimal_figure(value: float | None) -> str:
    """A figure with at most one decimal, thousands separated ("—" for none)."""
    if value is None:
        return "—"
    return f"{value:,.1f}".removesuffix(".0")


@register.simple_tag
def capacity_rows(runs, used=None) -> str:
    """The rows of the table under a capacity chart (``Run`` or ``MonthSummary``): first and last
    day, capacity, active, being provisioned, free, and the units used on an average collected
    day of the row (``used``: the offering's ``UsedSeries``, or None)."""
    return format_html_join(
        "\n",
        '<tr>\n                  <td>{}</td><td>{}</td>\n                  <td class="text-end">{}</td>\n'
        '                  <td class="text-end">{}</td>\n                  <td class="text-end">{}</td>\n'
        '                  <td class="text-end">{}</td>\n                  <td class="text-end">{}</td>\n'
        "                </tr>",
        (
            (
                date_format(run.start, "DATE_FORMAT"),
                date_format(run.end, "DATE_FORMAT"),
                figure(run.capacity),
                figure(run.in_service),
                figure(run.being_provisioned),
                figure(run.free),
                decimal_figure(used.average(run.start, run.end) if used is not None else None),
            )
            for run in runs
        ),
    )


@register.simple_tag
def idle_rows(rows, limit: int, may_view_allocations: bool) -> str:
    """The idle list's rows (``dashboard.selectors.usage.Idle``): organisation, call, offering
    (linked to the allocation in the administration for those who may view it), granted, in use,
    idle, usage rate, last used, until."""

    def offering(row) -> str:
        if not may_view_allocations:
            return conditional_escape(row.offering)
        url = reverse("admin:allocations_allocation_change", args=[row.allocation_id])
        return format_html('<a href="{}">{}</a>', url, row.offering)

    return format_html_join(
        "\n",
        "<tr>\n          <td>{}</td>\n          <td>{}</td>\n          <td>{}</td>\n"
        '          <td class="text-end">{} {}</td>\n          <td class="text-end">{}</td>\n'
        '          <td class="text-end fw-semibold">{}</td>\n          <td class="text-end">{}</td>\n'
        "          <td>{}</td>\n          <td>{}</td>\n        </tr>",
        (
            (
                row.organisation,
                row.call,
                offering(row),
                figure(row.quantity),
                row.unit,
                decimal_figure(row.used_units),
                decimal_figure(row.idle_units),
                "—" if row.rate is None else f"{localize(row.rate)}%",
                "—" if row.last_used_on is None else date_format(row.last_used_on, "DATE_FORMAT"),
                date_format(row.ends_on, "DATE_FORMAT"),
            )
            for row in rows[:limit]
        ),
    )
