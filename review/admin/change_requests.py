"""The queue of extension and supplement requests, most urgent (earliest allocation end) first,
and the decision page of one request."""

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.http import AuthenticatedRequest
from aftercare import services
from aftercare.models import ChangeRequest, ChangeRequestTransition
from aftercare.selectors import overdue_reports_of
from applications.services import ensure_may_decide
from portal import formats
from portal.admin_readonly import ReadOnlyInline
from portal.errors import DomainError
from review import selectors
from review.admin.filters import ChangeRequestStatusFilter
from review.admin.forms import ChangeDecisionForm
from review.admin.queue import BulkDecision, ReviewerQueueAdmin, one_by_one

if TYPE_CHECKING:
    from review.selectors import ChangeRequestRow


class ChangeRequestTransitionInline(ReadOnlyInline):
    model = ChangeRequestTransition
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    verbose_name_plural = _("history")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReviewerQueueAdmin):
    """The queue of extension and supplement requests. Read-only: decisions go through the
    services, from the decision page and the bulk actions, like applications."""

    QUEUE_ORDER = selectors.CHANGE_REQUEST_QUEUE_ORDER
    confirm_template = "admin/aftercare/changerequest/confirm_action.html"
    bulk_decisions = {
        "approve": BulkDecision(
            one_by_one(services.change_request_approve, "change_request"),
            _("%(request)s approved."),
            False,
            _("Approve these requests in full, one after the other, most urgent first?"),
        ),
        "reject": BulkDecision(
            one_by_one(services.change_request_reject, "change_request"),
            _("%(request)s rejected."),
            True,
            _("Reject these requests?"),
        ),
    }

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
    list_filter = [
        ChangeRequestStatusFilter,
        "kind",
        "allocation__application_item__application__call",
        "allocation__offering",
    ]
    list_select_related = ["organization", "allocation__offering", "allocation__application_item__application__call"]
    search_fields = ["organization__legal_name", "organization__registration_number"]
    search_help_text = _("Organisation name or business registration number.")
    ordering = tuple(QUEUE_ORDER)
    actions = ["approve_selected", "reject_selected"]
    fields = readonly_fields = (
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
    )
    inlines = [ChangeRequestTransitionInline]

    def is_decidable(self, obj: ChangeRequest) -> bool:
        return obj.is_awaiting_decision

    def get_queryset(self, request):
        return selectors.change_request_queue(super().get_queryset(request))

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
        quantity = formats.figure(obj.current_quantity)
        return f"{quantity} {obj.allocation.offering.get_unit_display()} · {formats.day(obj.current_ends_on)}"

    @admin.display(description=_("asked"))
    def requested(self, obj: ChangeRequest) -> str:
        return obj.requested_display

    @admin.display(description=_("allocation ends"), ordering="allocation__ends_on")
    def allocation_ends(self, obj: ChangeRequest):
        return obj.allocation.ends_on

    @admin.display(description=_("overdue reports"), ordering="overdue_reports")
    def reports_overdue(self, obj: "ChangeRequestRow"):
        if not obj.overdue_reports:
            return "—"
        return format_html('<strong class="overdue-reports">{}</strong>', obj.overdue_reports)

    # --- The decision page --------------------------------------------------------------------

    def decide_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
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
            return HttpResponseRedirect(self.queue_url(request))
        return self._render_decision(request, change_request, form)

    def _decide(
        self, request: AuthenticatedRequest, change_request: ChangeRequest, form: ChangeDecisionForm, decision: str
    ):
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
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done % {"request": change_request}, messages.SUCCESS)
        return True

    def _render_decision(
        self, request: AuthenticatedRequest, change_request: ChangeRequest, form: ChangeDecisionForm
    ) -> TemplateResponse:
        change_request.allocation.refresh_from_db(fields=["ends_on", "quantity", "state"])
        application = change_request.allocation.application_item.application
        try:
            ensure_may_decide(request.user, application)
            refusal = ""
        except DomainError as error:
            refusal = str(error)
        impact = None
        if change_request.is_awaiting_decision:
            impact = selectors.change_request_preview(change_request, **form.shown())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Decide: %(request)s") % {"request": change_request},
            "change_request": change_request,
            "allocation": change_request.allocation,
            "application": application,
            "organization": change_request.organization,
            "impact": impact,
            "overdue_reports": overdue_reports_of(change_request.organization_id),
            "history": list(change_request.transitions.select_related("actor")),
            "form": form,
            "refusal": refusal,
            "decidable": change_request.is_awaiting_decision,
            "queue_url": self.queue_url(request),
            "change_url": reverse("admin:aftercare_changerequest_change", args=[change_request.pk])
            + self.filters_suffix(request),
            "application_url": reverse("admin:applications_application_change", args=[application.pk]),
            "today": timezone.localdate(),
        }
        return TemplateResponse(request, "admin/aftercare/changerequest/decide.html", context)

    # --- Bulk actions -------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected requests in full"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self.bulk_decide(request, queryset, "approve")

    @admin.action(description=_("Reject the selected requests"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self.bulk_decide(request, queryset, "reject")
