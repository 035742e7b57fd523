"""The template side of ``portal.formats``, a built-in library of every template (settings'
``TEMPLATES["OPTIONS"]["builtins"]``): ``{{ start|period:end }}`` writes a range of days in the
language's way. Single dates need no tag: ``{{ day|date }}``, ``{{ moment|date:"DATETIME_FORMAT" }}``."""

from datetime import date

from django import template

from portal import formats

register = template.Library()


@register.filter
def period(start: date | None, end: date | None) -> str:
    if not start or not end:
        return ""
    return formats.period(start, end)
