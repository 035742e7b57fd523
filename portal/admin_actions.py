"""Admin actions on well-formed ids only.

The admin filters ``pk__in=<the ids posted>`` as they are, so a crafted POST with an id that is
not a number (or past the column's range) would be a server error when the action reads its
queryset. Every ModelAdmin on the portal's admin site drops such ids first (the site adds this
mixin to each, ``portal.admin_site``): they select nothing, and the admin says that nothing was
selected.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError

_LARGEST_ID = 2**63 - 1  # a bigint


class WellFormedSelectionMixin:
    def response_action(self, request, queryset, *args, **kwargs):
        posted = request.POST.getlist(ACTION_CHECKBOX_NAME)
        well_formed = [value for value in posted if self._is_id(value)]
        if len(well_formed) != len(posted):
            data = request.POST.copy()
            data.setlist(ACTION_CHECKBOX_NAME, well_formed)
            request.POST = data
        return super().response_action(request, queryset, *args, **kwargs)

    def _is_id(self, value: str) -> bool:
        try:
            pk = self.model._meta.pk.to_python(value)
        except (ValidationError, ValueError, TypeError):
            return False
        return pk is not None and (not isinstance(pk, int) or 0 < pk <= _LARGEST_ID)
