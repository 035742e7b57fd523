"""Numbers on the dashboard: thousands separated by commas (as in Korean and English), cheaply.

Django's ``intcomma`` localises through the format machinery on every call, which shows on a
page of thousands of cells; both of the portal's languages group digits the same way.
"""

from django import template

register = template.Library()


@register.filter
def figure(value) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
