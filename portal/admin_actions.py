"""Admin actions on well-formed ids only.

The admin filters ``pk__in=<the ids posted>`` as they are, so a crafted POST with an id that is
not a number (or past the column's range) would be a server error when the action reads its
queryset. The portal's admin site (``portal.admin_site``) drops such ids from every changelist's
POST before the ModelAdmin sees it: they select nothing, and the admin says that nothing was
selected.
"""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest

_LARGEST_ID = 2**63 - 1  # a bigint


def without_malformed_selection(request: HttpRequest, model: type[Model]) -> None:
    """Drop from ``request.POST`` the selected ids that cannot be ids of ``model``."""
    if request.method != "POST" or ACTION_CHECKBOX_NAME not in request.POST:
        return
    posted = request.POST.getlist(ACTION_CHECKBOX_NAME)
    well_formed = [value for value in posted if _is_id(model, value)]
    if len(well_formed) != len(posted):
        data = request.POST.copy()
        data.setlist(ACTION_CHECKBOX_NAME, well_formed)
        request.POST = data  # type: ignore[assignment]  # a mutable copy, as Django's own views do


def _is_id(model: type[Model], value: str) -> bool:
    try:
        pk = model._meta.pk.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return pk is not None and (not isinstance(pk, int) or 0 < pk <= _LARGEST_ID)
