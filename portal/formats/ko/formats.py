"""Korean formats for the portal, as a Korean public notice (공고) writes them: the weekday after
the date and the 24-hour clock (2026년 12월 21일(월) 18:00, not 오후 6:00), dotted short dates
(2026. 12. 21.), thousands separated by commas (25,600).

These are the formats of every page, e-mail, error message and admin screen shown in Korean:
templates use ``|date`` / ``|date:"DATETIME_FORMAT"`` and ``|period``, Python code the helpers of
``portal.formats``. A range is written with "~" by the catalogue (context "date range")."""

from django.conf.locale.ko.formats import *  # noqa: F403 (input formats and the rest stay Django's)

DATE_FORMAT = "Y년 n월 j일(D)"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y년 n월 j일(D) H:i"
YEAR_MONTH_FORMAT = "Y년 n월"
MONTH_DAY_FORMAT = "n월 j일"
SHORT_DATE_FORMAT = "Y. n. j."
SHORT_DATETIME_FORMAT = "Y. n. j. H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
