"""Every list is paged by cursor: stable under inserts, no COUNT(*), a fixed cost per page."""

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """``?cursor=…`` from the ``next``/``previous`` links; ``?page_size=`` up to 100. A view
    sets ``ordering`` (unique, ending in the primary key) when newest-first is not what it lists."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-pk",)
