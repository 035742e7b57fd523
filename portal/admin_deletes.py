"""Deletes that the models refuse, said in one message.

Decided and allocated records and their history are never deleted: the foreign keys that lead
to them from above are ``on_delete=PROTECT`` (a call's applications, an offering's allocations
and ledger, an organisation's applications, an application's history…). Django's admin would
answer such a delete with a page listing every protected row (an offering's ledger is a row per
day); the portal's admin site (``portal.admin_site``) answers instead with one message naming
what protects the object, counted by kind, and deletes nothing.
"""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.contrib.admin import ModelAdmin, actions
from django.contrib.admin.utils import NestedObjects, quote
from django.contrib.messages import ERROR
from django.db import router
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext


def protected_by(objects: Iterable[Model]) -> str:
    """What keeps ``objects`` from being deleted, as "kind: count" by kind; empty when nothing
    does. Collected as Django's admin collects what a delete would take."""
    objects = list(objects)
    if not objects:
        return ""
    collector = NestedObjects(using=router.db_for_write(type(objects[0])))
    collector.collect(objects)
    counts = Counter(type(protected)._meta.verbose_name_plural for protected in collector.protected)
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items(), key=str))


def delete_selected(modeladmin: "ModelAdmin[Any]", request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    """Django's bulk delete, refused with one message when the selection holds up a decided record."""
    protected = protected_by(queryset)
    if protected:
        refusal = gettext(
            "Nothing was deleted: these records depend on the selection and are kept (decided and allocated "
            "records and their history are never deleted): %(protected)s."
        ) % {"protected": protected}
        modeladmin.message_user(request, refusal, ERROR)
        return None
    return actions.delete_selected(modeladmin, request, queryset)


delete_selected.allowed_permissions = actions.delete_selected.allowed_permissions  # type: ignore[attr-defined]
delete_selected.short_description = actions.delete_selected.short_description  # type: ignore[attr-defined]


def refused_delete(model_admin: "ModelAdmin[Any]", request: HttpRequest, obj: Model) -> HttpResponseBase | None:
    """For the delete view: one message and back to the object's page when ``obj`` holds up a
    decided record; None when Django's own confirmation applies."""
    protected = protected_by([obj])
    if not protected:
        return None
    refusal = gettext(
        "“%(object)s” cannot be deleted: these records depend on it and are kept (decided and allocated records "
        "and their history are never deleted): %(protected)s."
    ) % {"object": obj, "protected": protected}
    model_admin.message_user(request, refusal, ERROR)
    opts = model_admin.opts
    if model_admin.has_view_or_change_permission(request, obj):
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]))
    return HttpResponseRedirect(reverse("admin:index"))
