"""Calls in the admin: operators edit a call, its offerings and its priority policy; reviewers
fill it by priority (a preview of who would be approved in rank order, then one batch)."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.http import AuthenticatedRequest
from allocations.services import filling
from applications import priority
from applications import services as application_services
from applications.models import Application, Call, CallOffering, ClaimKind, PriorityPolicyChange, PriorityWeight
from pool.models import Offering
from portal import data_version
from portal.errors import DomainError
from review.admin.queue import DECIDE_PERMISSION


class CallOfferingInline(admin.TabularInline):
    model = CallOffering
    extra = 1
    autocomplete_fields = ["offering"]


class PriorityWeightForm(forms.ModelForm):
    class Meta:
        model = PriorityWeight
        fields = ["kind", "points"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A saved weight keeps its kind: changing it would leave the old kind's points behind.
        if self.instance.pk:
            self.fields["kind"].disabled = True


class PriorityWeightInline(admin.TabularInline):
    """The call's priority policy. Saved through ``priority_policy_set`` (see CallAdmin)."""

    model = PriorityWeight
    form = PriorityWeightForm
    can_delete = False
    max_num = len(ClaimKind.values)
    verbose_name_plural = _("priority policy (points per verified claim)")

    def get_extra(self, request, obj=None, **kwargs):
        return len(self.missing_kinds(obj))

    @staticmethod
    def missing_kinds(call: Call | None) -> list[str]:
        if call is None or call.pk is None:
            return list(priority.DEFAULT_POINTS)
        present = set(call.priority_weights.values_list("kind", flat=True))
        return [kind for kind in priority.DEFAULT_POINTS if kind not in present]


def _weight_points(formset) -> dict[str, int]:
    return {
        form.cleaned_data["kind"]: form.cleaned_data["points"]
        for form in formset.forms
        if form.cleaned_data and form.cleaned_data.get("kind") and form.cleaned_data.get("points") is not None
    }


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "opens_at",
        "deadline",
        "service_starts_on",
        "service_ends_on",
        "selection_target",
        "is_pilot",
    ]
    list_filter = ["is_pilot"]
    search_fields = ["title"]
    date_hierarchy = "deadline"
    inlines = [CallOfferingInline, PriorityWeightInline]
    readonly_fields = ["priority_policy_history"]

    @admin.display(description=_("priority policy history"))
    def priority_policy_history(self, obj: Call) -> str:
        changes = PriorityPolicyChange.objects.filter(call=obj).select_related("actor") if obj.pk else []
        return render_to_string("admin/includes/changes.html", {"changes": list(changes)})

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        data_version.changed()  # its service period and offerings are on the dashboards

    def get_urls(self):
        app_label, model_name = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/fill-by-priority/",
                self.admin_site.admin_view(self.fill_by_priority_view),
                name=f"{app_label}_{model_name}_fill_by_priority",
            ),
            *super().get_urls(),
        ]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PriorityWeightInline):
            # The blank rows offer the default points; left unchanged, the defaults apply anyway.
            kwargs["initial"] = [
                {"kind": kind, "points": priority.DEFAULT_POINTS[kind]} for kind in inline.missing_kinds(obj)
            ]
        return kwargs

    def save_formset(self, request, form, formset, change):
        if formset.model is not PriorityWeight:
            return super().save_formset(request, form, formset, change)
        # The policy changes through the service, which re-scores the call's applications.
        if formset.has_changed():
            try:
                application_services.priority_policy_set(
                    actor=request.user, call=form.instance, points=_weight_points(formset)
                )
            except DomainError as error:
                messages.error(request, str(error))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            application_services.priority_policy_defaults(form.instance)

    def fill_by_priority_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        call = get_object_or_404(Call, pk=object_id)
        if request.method == "POST":
            # The plan the reviewer was shown (its digest, from the preview's form): approved only
            # if filling would still do exactly that.
            try:
                approved, refused = filling.fill_by_priority_apply(
                    actor=request.user, call=call, confirmed=request.POST.get("plan", "")
                )
            except filling.PlanChanged as changed:
                self.message_user(request, str(changed), messages.ERROR)
                return self.fill_by_priority_preview(request, call)
            for application in approved:
                self.message_user(
                    request, gettext("%(application)s approved.") % {"application": application}, messages.SUCCESS
                )
            for application, error in refused:
                self.message_user(
                    request,
                    gettext("%(application)s was not approved: %(error)s")
                    % {"application": application, "error": error},
                    messages.ERROR,
                )
            if not approved and not refused:
                self.message_user(request, gettext("Nothing to approve."), messages.INFO)
            queue = reverse("admin:applications_application_changelist")
            return HttpResponseRedirect(f"{queue}?{urlencode({'call__id__exact': call.pk})}")
        return self.fill_by_priority_preview(request, call)

    def fill_by_priority_preview(self, request: AuthenticatedRequest, call: Call) -> HttpResponse:
        plan = filling.fill_by_priority_plan(actor=request.user, call=call)
        ids = [
            *(application.pk for application in plan.approve),
            *(application.pk for application, _shortfalls in plan.skipped),
            *(application.pk for application, _error in plan.refused),
        ]
        ranked = {
            application.pk: application
            for application in Application.objects.filter(pk__in=ids).select_related("organization")
        }
        offerings = Offering.objects.in_bulk(list(plan.remaining))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Fill by priority: %(call)s") % {"call": call},
            "call": call,
            "approve": [ranked[application.pk] for application in plan.approve],
            "skipped": [(ranked[application.pk], shortfalls) for application, shortfalls in plan.skipped],
            "refused": [(ranked[application.pk], str(error)) for application, error in plan.refused],
            "remaining": [
                (offerings[offering_id], free)
                for offering_id, free in sorted(plan.remaining.items(), key=lambda pair: offerings[pair[0]].name)
            ],
            "selection_left": plan.selection_left,
            "plan_digest": plan.digest,
            "approved_already": Application.objects.filter(call=call, status=Application.Status.APPROVED).count(),
        }
        return TemplateResponse(request, "admin/applications/call/fill_by_priority.html", context)
