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


@register.simple_tag
def capacity_rows(runs) -> str:
    """The rows of the table under a capacity chart (``Run`` or ``MonthSummary``): first and last
    day, capacity, active, being provisioned, free."""
    return format_html_join(
        "\n",
        '<tr>\n                  <td>{}</td><td>{}</td>\n                  <td class="text-end">{}</td>\n'
        '                  <td class="text-end">{}</td>\n                  <td class="text-end">{}</td>\n'
        '                  <td class="text-end">{}</td>\n                </tr>',
        (
            (
                date_format(run.start, "DATE_FORMAT"),
                date_format(run.end, "DATE_FORMAT"),
                figure(run.capacity),
                figure(run.in_service),
                figure(run.being_provisioned),
                figure(run.free),
            )
            for run in runs
        ),
    )
