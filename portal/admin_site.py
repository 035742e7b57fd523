"""The portal's admin site: Django's, acting only on well-formed ids in every ModelAdmin's bulk
actions, the libraries' admins included (groups, e-mail addresses). Installed in place of
``django.contrib.admin`` by ``PortalAdminConfig``."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponseBase

from portal.admin_actions import without_malformed_selection

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class PortalAdminSite(admin.AdminSite):
    def admin_view(self, view: View, cacheable: bool = False) -> View:
        """Every admin view, wrapped as Django wraps it; a ModelAdmin's changelist, which runs
        the bulk actions, first drops the selected ids that are not ids of its model."""
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin) and view.__name__ == "changelist_view":
            view = cast(View, _cleaning_selection(view, model_admin))
        return super().admin_view(view, cacheable)


def _cleaning_selection(
    view: Callable[..., HttpResponseBase], model_admin: "admin.ModelAdmin[Any]"
) -> Callable[..., HttpResponseBase]:
    def changelist_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        without_malformed_selection(request, model_admin.model)
        return view(request, *args, **kwargs)

    changelist_view.__name__ = view.__name__
    return changelist_view


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
