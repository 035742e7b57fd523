"""Every CSV file the portal writes: UTF-8 with a byte-order mark, so that Excel opens Korean
text correctly, and no cell that a spreadsheet would run as a formula (the dashboard's tables,
the access log's export, the evaluation's panel sheet)."""

import csv
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

Table = tuple[list[Any], Iterable[list[Any]]]

# A spreadsheet reads a cell that starts with one of these as a formula (=HYPERLINK(…), +cmd|…,
# @SUM(…)): OWASP's CSV-injection rule. Such text is written behind a single quote, which the
# spreadsheet takes as "this is text".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell that a spreadsheet shows and never runs. Figures the portal computes (numbers,
    dates) are written as they are: they cannot hold a formula, and a quoted "-3" would no longer
    be a number. Anything else (a name, a title, a label) is text someone may have typed."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal | date):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(name: str, table: Table) -> HttpResponse:
    """Every CSV file the portal writes: UTF-8 with a byte-order mark, each cell through ``csv_cell``."""
    header, rows = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.csv"'
    response.write("\ufeff")  # the byte-order mark: Excel reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return response
