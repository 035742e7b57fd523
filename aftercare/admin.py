from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftercare import selectors, services
from aftercare.models import ChangeRequest, ChangeRequestTransition, Report, SurveyInvitation, SurveyResponse
from applications.admin import HistoryInline, may_decide

# --- Extension and supplement requests: the reviewer's queue ------------------------------------


class ChangeRequestTransitionInline(HistoryInline):
    model = ChangeRequestTransition
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    verbose_name_plural = _("history")


class ChangeDecisionForm(forms.Form):
    """What to grant (defaults: what was asked) and the reviewer's reason."""

    ends_on = forms.DateField(
        label=_("Grant until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    units = forms.IntegerField(label=_("Units to add"), required=False, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required to grant less than asked and to reject; the organisation is told it."),
    )

    def __init__(self, *args, change_request: ChangeRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.change_request = change_request
        if change_request.kind == ChangeRequest.Kind.EXTENSION:
            del self.fields["units"]
            self.fields["ends_on"].initial = change_request.requested_ends_on
        else:
            del self.fields["ends_on"]
            self.fields["units"].initial = change_request.requested_units
            self.fields["units"].max_value = change_request.requested_units
            self.fields["units"].widget.attrs["max"] = change_request.requested_units

    def shown(self) -> dict:
        """The grant the capacity preview assumes: what was entered, else what was requested."""
        if not self.is_bound:
            return {}
        field, parse = ("ends_on", forms.DateField().to_python) if "ends_on" in self.fields else ("units", int)
        try:
            value = parse(self.data.get(field) or None)
        except (TypeError, ValueError, forms.ValidationError):
            return {}
        return {field: value} if value else {}


class BulkReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class StatusFilter(admin.SimpleListFilter):
    """Awaiting a decision by default: that is the queue."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ChangeRequest.Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or ChangeRequest.Status.SUBMITTED) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or ChangeRequest.Status.SUBMITTED
        if value == "all":
            return queryset
        if value in ChangeRequest.Status.values:
            return queryset.filter(status=value)
        return queryset


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    """The queue of extension and supplement requests, most urgent (earliest allocation end)
    first. Read-only: decisions go through the services, from the decision page and the bulk
    actions, like applications."""

    QUEUE_ORDER = ["allocation__ends_on", "submitted_at", "pk"]

    list_display = [
        "submitted_at",
        "organization_name",
        "call_title",
        "offering",
        "kind",
        "current",
        "requested",
        "allocation_ends",
        "reports_overdue",
        "status",
    ]
    list_display_links = ["organization_name"]
    list_filter = [StatusFilter, "kind", "allocation__application_item__application__call", "allocation__offering"]
    list_select_related = ["organization", "allocation__offering", "allocation__application_item__application__call"]
    search_fields = ["organization__legal_name", "organization__registration_number"]
    search_help_text = _("Organisation name or business registration number.")
    ordering = QUEUE_ORDER
    show_full_result_count = False
    actions = ["approve_selected", "reject_selected"]
    fields = [
        "organization",
        "allocation",
        "kind",
        "status",
        "current_ends_on",
        "current_quantity",
        "requested_ends_on",
        "requested_units",
        "justification",
        "granted_ends_on",
        "granted_units",
        "submitted_by",
        "submitted_at",
        "decided_at",
    ]
    readonly_fields = fields
    inlines = [ChangeRequestTransitionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request) -> bool:
        return may_decide(request)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(overdue_reports=selectors.overdue_report_count())

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_decide_permission(request):
            columns.append(self._decide_column(self.get_preserved_filters(request)))
        return columns

    def _decide_column(self, preserved_filters: str):
        @admin.display(description=_("decision"))
        def decide(obj: ChangeRequest):
            if obj.status != ChangeRequest.Status.SUBMITTED:
                return "—"
            url = reverse("admin:aftercare_changerequest_decide", args=[obj.pk])
            if preserved_filters:
                url = f"{url}?{preserved_filters}"
            return format_html('<a href="{}">{}</a>', url, gettext("Decide"))

        return decide

    @admin.display(description=_("organisation"), ordering="organization__legal_name")
    def organization_name(self, obj: ChangeRequest) -> str:
        return obj.organization.legal_name

    @admin.display(description=_("call"), ordering="allocation__application_item__application__call__title")
    def call_title(self, obj: ChangeRequest) -> str:
        return obj.allocation.application_item.application.call.title

    @admin.display(description=_("offering"), ordering="allocation__offering__name")
    def offering(self, obj: ChangeRequest) -> str:
        return obj.allocation.offering.name

    @admin.display(description=_("when requested"))
    def current(self, obj: ChangeRequest) -> str:
        return f"{obj.current_quantity} {obj.allocation.offering.get_unit_display()} · {obj.current_ends_on:%Y-%m-%d}"

    @admin.display(description=_("asked"))
    def requested(self, obj: ChangeRequest) -> str:
        return obj.requested_display

    @admin.display(description=_("allocation ends"), ordering="allocation__ends_on")
    def allocation_ends(self, obj: ChangeRequest):
        return obj.allocation.ends_on

    @admin.display(description=_("overdue reports"), ordering="overdue_reports")
    def reports_overdue(self, obj: ChangeRequest):
        if not obj.overdue_reports:
            return "—"
        return format_html('<strong class="overdue-reports">{}</strong>', obj.overdue_reports)

    # --- The decision page --------------------------------------------------------------------

    def get_urls(self):
        app_label, model_name = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{app_label}_{model_name}_decide",
            ),
            *super().get_urls(),
        ]

    def _queue_url(self, request: HttpRequest) -> str:
        url = reverse("admin:aftercare_changerequest_changelist")
        return add_preserved_filters({"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, url)

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        change_request = get_object_or_404(
            ChangeRequest.objects.select_related(
                "organization",
                "submitted_by",
                "allocation__offering",
                "allocation__application_item__application__call",
            ),
            pk=object_id,
        )
        form = ChangeDecisionForm(request.POST if request.method == "POST" else None, change_request=change_request)
        if request.method == "POST" and self._decide(request, change_request, form, request.POST.get("decision", "")):
            return HttpResponseRedirect(self._queue_url(request))
        return self._render_decision(request, change_request, form)

    def _decide(self, request: HttpRequest, change_request: ChangeRequest, form: ChangeDecisionForm, decision: str):
        valid = form.is_valid()
        reason = form.cleaned_data.get("reason", "").strip() if valid else request.POST.get("reason", "").strip()
        try:
            if decision == "approve":
                services.change_request_approve(actor=request.user, change_request=change_request, reason=reason)
                done = gettext("%(request)s approved.")
            elif decision == "approve_partial":
                if not valid:
                    self.message_user(request, gettext("Correct what is to be granted."), messages.ERROR)
                    return False
                services.change_request_approve(
                    actor=request.user,
                    change_request=change_request,
                    ends_on=form.cleaned_data.get("ends_on"),
                    units=form.cleaned_data.get("units"),
                    reason=reason,
                )
                done = gettext("%(request)s approved as entered.")
            elif decision == "reject":
                services.change_request_reject(actor=request.user, change_request=change_request, reason=reason)
                done = gettext("%(request)s rejected.")
            elif decision == "preview":
                return False  # shown again with the capacity for the entered grant
            else:
                self.message_user(request, gettext("Choose a decision."), messages.ERROR)
                return False
        except services.ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done % {"request": change_request}, messages.SUCCESS)
        return True

    def _render_decision(
        self, request: HttpRequest, change_request: ChangeRequest, form: ChangeDecisionForm
    ) -> TemplateResponse:
        change_request.allocation.refresh_from_db(fields=["ends_on", "quantity", "state"])
        application = change_request.allocation.application_item.application
        try:
            services.ensure_may_decide(request.user, application)
            refusal = ""
        except services.ApplicationError as error:
            refusal = str(error)
        preserved_filters = self.get_preserved_filters(request)
        suffix = f"?{preserved_filters}" if preserved_filters else ""
        impact = None
        if change_request.status == ChangeRequest.Status.SUBMITTED:
            impact = selectors.change_request_impact(change_request, **form.shown())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Decide: %(request)s") % {"request": change_request},
            "change_request": change_request,
            "allocation": change_request.allocation,
            "application": application,
            "organization": change_request.organization,
            "impact": impact,
            "overdue_reports": selectors.overdue_reports_of(change_request.organization_id),
            "history": list(change_request.transitions.select_related("actor")),
            "form": form,
            "refusal": refusal,
            "decidable": change_request.status == ChangeRequest.Status.SUBMITTED,
            "queue_url": self._queue_url(request),
            "change_url": reverse("admin:aftercare_changerequest_change", args=[change_request.pk]) + suffix,
            "application_url": reverse("admin:applications_application_change", args=[application.pk]),
            "today": timezone.localdate(),
        }
        return TemplateResponse(request, "admin/aftercare/changerequest/decide.html", context)

    # --- Bulk actions -------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected requests in full"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, "approve")

    @admin.action(description=_("Reject the selected requests"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, "reject")

    def _bulk_decide(self, request: HttpRequest, queryset: QuerySet[ChangeRequest], decision: str):
        """Confirm first (with a reason), then decide one request at a time through the service,
        most urgent first; a refusal (a request that does not fit) is reported, the others go on."""
        approve = decision == "approve"
        change_requests = list(queryset.order_by(*self.QUEUE_ORDER))
        form = BulkReasonForm(request.POST if "confirm" in request.POST else None, reason_required=not approve)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            for change_request in change_requests:
                try:
                    if approve:
                        services.change_request_approve(
                            actor=request.user, change_request=change_request, reason=reason
                        )
                    else:
                        services.change_request_reject(actor=request.user, change_request=change_request, reason=reason)
                except services.ApplicationError as error:
                    self.message_user(
                        request,
                        gettext("%(request)s: %(error)s") % {"request": change_request, "error": error},
                        messages.ERROR,
                    )
                else:
                    done = gettext("%(request)s approved.") if approve else gettext("%(request)s rejected.")
                    self.message_user(request, done % {"request": change_request}, messages.SUCCESS)
            return None
        if form.is_bound:
            self.message_user(request, gettext("Give a reason."), messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Confirm the decision"),
            "question": gettext("Approve these requests in full, one after the other, most urgent first?")
            if approve
            else gettext("Reject these requests?"),
            "selected": change_requests,
            "form": form,
            "action": f"{decision}_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/aftercare/changerequest/confirm_action.html", context)


# --- Reports ------------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = selectors.overdue_reports().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows written by the applicants and the beat jobs: staff read them, nobody edits them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ViewOnlyAdmin):
    list_display = ["organization", "call", "kind", "due_on", "state", "submitted_at"]
    list_filter = [OverdueFilter, "kind", "status", "application__call"]
    list_select_related = ["organization", "application__call"]
    search_fields = ["organization__legal_name", "organization__registration_number"]
    ordering = ["due_on", "pk"]
    show_full_result_count = False
    fields = [
        "organization",
        "application",
        "kind",
        "status",
        "period_starts_on",
        "period_ends_on",
        "requested_on",
        "due_on",
        "work_done",
        "outcomes",
        "publications",
        "attachment_link",
        "submitted_by",
        "submitted_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("call"), ordering="application__call__title")
    def call(self, obj: Report) -> str:
        return obj.application.call.title

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj: Report) -> str:
        if obj.is_overdue():
            return format_html('<strong class="overdue-reports">{}</strong>', gettext("Overdue"))
        return obj.get_status_display()

    @admin.display(description=_("attachment"))
    def attachment_link(self, obj: Report):
        if not obj.attachment:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("report_attachment", args=[obj.pk]), gettext("Download"))


# --- The satisfaction survey --------------------------------------------------------------------


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ViewOnlyAdmin):
    list_display = ["organization", "call", "occasion", "invited_at", "reminded_at", "answered"]
    list_filter = ["call", "occasion"]
    list_select_related = ["organization", "call", "response"]
    search_fields = ["organization__legal_name"]
    show_full_result_count = False

    @admin.display(description=_("answered"), boolean=True)
    def answered(self, obj: SurveyInvitation) -> bool:
        return hasattr(obj, "response")


class HasCommentsFilter(admin.SimpleListFilter):
    title = _("comments")
    parameter_name = "comments"

    def lookups(self, request, model_admin):
        return [("yes", _("With comments")), ("no", _("Without comments"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(comments="")
        if self.value() == "no":
            return queryset.filter(comments="")
        return queryset


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ViewOnlyAdmin):
    """The answers, free text first: what operators read to improve the service."""

    list_display = [
        "submitted_at",
        "organization",
        "call",
        "comment_excerpt",
        "rating_compute",
        "rating_dev_env",
        "rating_data_saas",
        "rating_support",
    ]
    list_filter = [HasCommentsFilter, "call"]
    list_select_related = ["organization", "call"]
    search_fields = ["comments", "organization__legal_name"]
    search_help_text = _("Words in the comments, or the organisation's name.")
    ordering = ["-submitted_at", "-pk"]
    show_full_result_count = False
    fields = [
        "organization",
        "call",
        "application",
        "rating_compute",
        "rating_dev_env",
        "rating_data_saas",
        "rating_support",
        "comments",
        "submitted_by",
        "submitted_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("comments"))
    def comment_excerpt(self, obj: SurveyResponse) -> str:
        return Truncator(obj.comments).chars(200) or "—"
