"""Korean formats for the portal: Django's, with the 24-hour clock the announcements use
(2026년 4월 3일 18:00, not 오후 6:00) and dotted short dates (2026. 4. 3.)."""

from django.conf.locale.ko.formats import *  # noqa: F403 (input formats and the rest stay Django's)

DATE_FORMAT = "Y년 n월 j일"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y년 n월 j일 H:i"
YEAR_MONTH_FORMAT = "Y년 n월"
MONTH_DAY_FORMAT = "n월 j일"
SHORT_DATE_FORMAT = "Y. n. j."
SHORT_DATETIME_FORMAT = "Y. n. j. H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
