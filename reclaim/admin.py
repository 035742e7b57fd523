"""Reclaim policies in the admin: operators give a call its policy and change it, each change
kept with who made it. The reclaim queue is the reviewer's workbench (``review.admin``)."""

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError
from reclaim import services
from reclaim.models import ReclaimPolicy, ReclaimPolicyChange


@admin.register(ReclaimPolicy)
class ReclaimPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "call",
        "enabled",
        "threshold_percent",
        "window_days",
        "grace_days",
        "idle_days",
        "answer_days",
        "automatic",
        "updated_at",
    ]
    list_filter = ["enabled", "automatic"]
    list_select_related = ["call"]
    search_fields = ["call__title"]
    readonly_fields = ["policy_history"]

    def get_fields(self, request, obj=None):
        fields = ["call", *services.POLICY_FIELDS]
        return [*fields, "policy_history"] if obj else fields

    def get_readonly_fields(self, request, obj=None):
        # A policy stays with its call; another call gets a policy of its own.
        return ["call", "policy_history"] if obj else ["policy_history"]

    @admin.display(description=_("policy history"))
    def policy_history(self, obj: ReclaimPolicy) -> str:
        changes = ReclaimPolicyChange.objects.filter(call_id=obj.call_id).select_related("actor") if obj.pk else []
        return render_to_string("admin/includes/changes.html", {"changes": list(changes)})

    def save_model(self, request, obj, form, change):
        # Through the service, which keeps the change with its author.
        values = {name: form.cleaned_data[name] for name in services.POLICY_FIELDS if name in form.cleaned_data}
        try:
            saved = services.reclaim_policy_set(actor=request.user, call=obj.call, **values)
        except DomainError as error:
            messages.error(request, str(error))
            return
        obj.pk = saved.pk
