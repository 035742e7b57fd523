"""Dates, periods and numbers in the language active now, for text built in Python (error
messages, e-mail lines): the same formats as the templates' ``|date`` and ``|period``.

The formats themselves are ``portal/formats/<language>/formats.py`` (Django's
``FORMAT_MODULE_PATH``): Korean ``2026년 12월 21일(월) 18:00``, ranges ``… ~ …``, ``25,600``;
English ``21 December 2026, 18:00``, ranges ``… – …``. Never ``isoformat()`` or ``strftime`` in
text a person reads.
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import pgettext


def day(value: date) -> str:
    """A day: ``2026년 12월 21일(월)`` / ``21 December 2026``."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, "DATE_FORMAT")


def moment(value: datetime) -> str:
    """A moment, in Korea time: ``2026년 12월 21일(월) 18:00`` / ``21 December 2026, 18:00``."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "DATETIME_FORMAT")


def period(start: date, end: date) -> str:
    """Two days as a range: ``2027년 1월 6일(수) ~ 2027년 7월 5일(월)`` / ``6 January 2027 – 5 July 2027``."""
    return pgettext("date range", "%(start)s – %(end)s") % {"start": day(start), "end": day(end)}


def figure(value: int | float | Decimal) -> str:
    """A quantity with its thousands separated: ``25,600``, whatever ``USE_THOUSAND_SEPARATOR`` says."""
    return number_format(value, force_grouping=True)
