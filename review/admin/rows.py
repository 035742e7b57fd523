"""The queues' rows, rendered without the admin's per-cell machinery.

Django's changelist renders each cell through ``items_for_result``: a field lookup that raises
for every column that is not a model field, the empty value and choices resolved again per cell
(lazy translations, ``make_hashable`` of the choices), a link reversed per row and the action
check box rendered by a form widget's template. For a page of 100 rows that was about 40 % of
the queue's time, the check box alone about 15 %. Here each column is resolved once per page
(what it reads, its empty value, its choices' labels, its classes) and each row is one string:
the same HTML as Django's (``<td class="field-…">``, the link in its ``<th>``, the check box
with its label), escaped the same way.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from review.admin.queue import PK_MARK

Cell = Callable[[Any], str]  # a row's object -> the cell's HTML


def _field_cell(name: str, field: models.Field, empty: str) -> Cell:
    """A model field's value as ``display_for_field`` shows it; choices from a dict made once."""
    classes = f"field-{name}" + (
        " nowrap" if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)) else ""
    )
    if field.is_relation:  # the related object as its str(), as the admin shows it
        return lambda obj: format_html('<td class="{}">{}</td>', classes, str(getattr(obj, field.name) or "") or empty)
    if field.flatchoices:
        labels = {value: str(label) for value, label in field.flatchoices}
        return lambda obj: format_html(
            '<td class="{}">{}</td>', classes, labels.get(getattr(obj, field.attname), empty)
        )
    return lambda obj: format_html(
        '<td class="{}">{}</td>', classes, display_for_field(getattr(obj, field.attname), field, empty)
    )


def _callable_cell(name: str, attr: Callable[[Any], Any], empty: str) -> Cell:
    """A display method's value as ``display_for_value`` shows it."""
    empty = str(getattr(attr, "empty_value_display", empty))
    boolean = getattr(attr, "boolean", False)
    classes = f"field-{name}"

    def cell(obj: Any) -> str:
        value = attr(obj)
        if boolean or not isinstance(value, str):
            shown = display_for_value(value, empty, boolean)
        elif isinstance(value, SafeString):
            shown = value or empty
        else:
            shown = value.strip() or empty
        dated = isinstance(value, (datetime.date, datetime.time))
        return format_html('<td class="{}">{}</td>', f"{classes} nowrap" if dated else classes, shown)

    return cell


def _checkbox_cell(label: str) -> Cell:
    def cell(obj: Any) -> str:
        return format_html(
            '<td class="action-checkbox"><input type="checkbox" name="{}" value="{}" class="action-select" '
            'aria-label="{}"></td>',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            # As the admin's action_checkbox: the label's text as translated, the object escaped.
            format_html(label, str(obj)),
        )

    return cell


def _cells(changelist: ChangeList) -> list[Cell]:
    model_admin = changelist.model_admin
    opts = changelist.lookup_opts
    empty = str(model_admin.get_empty_value_display())
    cells: list[Cell] = []
    for name in changelist.list_display:
        if name == "action_checkbox":
            cells.append(_checkbox_cell(gettext("Select this object for an action - {}")))
            continue
        if callable(name):
            cells.append(_callable_cell(name.__name__, name, empty))
            continue
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            field = None
        if isinstance(field, models.Field):
            cells.append(_field_cell(name, field, empty))
        else:
            cells.append(_callable_cell(name, getattr(model_admin, name), empty))
    return cells


def _linked(changelist: ChangeList, name: str, cell: Cell) -> Cell:
    """The column that links to the object's change page: a ``<th>`` with the queue's filters."""
    opts = changelist.opts
    url = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_change",
        args=[PK_MARK],
        current_app=changelist.model_admin.admin_site.name,
    )
    url = add_preserved_filters({"preserved_filters": changelist.preserved_filters, "opts": opts}, url)
    before, _mark, after = url.partition(PK_MARK)

    def linked(obj: Any) -> str:
        # The cell's own HTML (escaped by format_html), its <td> turned into a <th> with the link.
        opening, _sep, rest = cell(obj).partition(">")
        return format_html(
            '<th{}><a href="{}{}{}">{}</a></th>',
            SafeString(opening.removeprefix("<td")),
            before,
            obj.pk,
            after,
            SafeString(rest.removesuffix("</td>")),
        )

    return linked


def queue_rows(changelist: ChangeList) -> list[SafeString]:
    """The page's rows (``changelist.result_list``), each one ``<tr>`` of cells."""
    cells = _cells(changelist)
    links = changelist.list_display_links or []
    names = [str(getattr(name, "__name__", name)) for name in changelist.list_display]
    cells = [
        _linked(changelist, name, cell) if name in links else cell for name, cell in zip(names, cells, strict=True)
    ]
    return [
        format_html("<tr>{}</tr>", format_html_join("", "{}", ((cell(obj),) for cell in cells)))
        for obj in changelist.result_list
    ]
