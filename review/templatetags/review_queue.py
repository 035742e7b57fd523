"""``{% queue_result_list cl %}``: the changelist's table with the rows of ``review.admin.rows``."""

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers, result_list
from django.contrib.admin.views.main import ChangeList

from review.admin.rows import queue_rows

register = template.Library()


@register.inclusion_tag("admin/review/queue_results.html")
def queue_result_list(cl: ChangeList) -> dict:
    """Django's ``result_list`` context, with each row one ready string. A popup (a raw-id
    lookup) or an editable list keeps Django's own rendering, which knows their extras."""
    if cl.is_popup or cl.formset:
        return {**result_list(cl), "django_rows": True}
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "rows": queue_rows(cl),
    }
