"""The portal's admin site: Django's, acting only on well-formed ids in every ModelAdmin's bulk
actions, the libraries' admins included (groups, e-mail addresses). Installed in place of
``django.contrib.admin`` by ``PortalAdminConfig``."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse

from portal.admin_actions import without_malformed_selection


class PortalAdminSite(admin.AdminSite):
    def admin_view(self, view: Callable[..., HttpResponse], cacheable: bool = False) -> Callable[..., HttpResponse]:
        """Every admin view, wrapped as Django wraps it; a ModelAdmin's changelist, which runs
        the bulk actions, first drops the selected ids that are not ids of its model."""
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin) and view.__name__ == "changelist_view":
            view = _cleaning_selection(view, model_admin)
        return super().admin_view(view, cacheable)


def _cleaning_selection(view: Callable[..., HttpResponse], model_admin: admin.ModelAdmin) -> Callable[..., HttpResponse]:
    def changelist_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        without_malformed_selection(request, model_admin.model)
        return view(request, *args, **kwargs)

    changelist_view.__name__ = view.__name__
    return changelist_view


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
