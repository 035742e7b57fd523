"""The portal's admin site: Django's, acting only on well-formed ids in every ModelAdmin's bulk
actions, the libraries' admins included (groups, e-mail addresses), and refusing with one
message a delete that would reach a decided record (``portal.admin_deletes``). Installed in
place of ``django.contrib.admin`` by ``PortalAdminConfig``."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponseBase

from portal import admin_deletes
from portal.admin_actions import without_malformed_selection

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class PortalAdminSite(admin.AdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.add_action(admin_deletes.delete_selected, "delete_selected")

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        """Every admin view, wrapped as Django wraps it; a ModelAdmin's changelist, which runs
        the bulk actions, first drops the selected ids that are not ids of its model; its delete
        view first refuses an object that holds up a decided record."""
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin) and view.__name__ == "changelist_view":
            view = cast(View, _cleaning_selection(view, model_admin))
        if isinstance(model_admin, admin.ModelAdmin) and view.__name__ == "delete_view":
            view = cast(View, _refusing_protected(view, model_admin))
        return super().admin_view(view, cacheable)


def _cleaning_selection(
    view: Callable[..., HttpResponseBase], model_admin: "admin.ModelAdmin[Any]"
) -> Callable[..., HttpResponseBase]:
    def changelist_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        without_malformed_selection(request, model_admin.model)
        return view(request, *args, **kwargs)

    changelist_view.__name__ = view.__name__
    return changelist_view


def _refusing_protected(
    view: Callable[..., HttpResponseBase], model_admin: "admin.ModelAdmin[Any]"
) -> Callable[..., HttpResponseBase]:
    def delete_view(request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        obj = model_admin.get_object(request, unquote(object_id))
        # Without the right to delete it, Django's own view answers (403, or "does not exist").
        if obj is not None and model_admin.has_delete_permission(request, obj):
            refused = admin_deletes.refused_delete(model_admin, request, obj)
            if refused is not None:
                return refused
        return view(request, object_id, *args, **kwargs)

    delete_view.__name__ = view.__name__
    return delete_view


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
