"""Every list is paged by cursor: stable under inserts, no COUNT(*), a fixed cost per page."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """``?cursor=…`` from the ``next``/``previous`` links; ``?page_size=`` up to 100. A view
    sets ``ordering`` (unique, ending in the primary key) when newest-first is not what it lists."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-pk",)

    def decode_cursor(self, request):
        """A cursor that is not one of ours is the caller's mistake (400, keyed by ``cursor``),
        not a missing page: DRF answers it with 404."""
        try:
            return super().decode_cursor(request)
        except Exception as exc:  # DRF raises NotFound; anything else a cursor can provoke is the same
            raise ValidationError(
                {"cursor": [_("This cursor is not valid: use the next or previous link of a page.")]}
            ) from exc
