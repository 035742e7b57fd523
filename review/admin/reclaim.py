"""The reclaim queue (회수): open reclaim cases, the most idle units first; the decision page of
one case (its usage against the grant, the organisation's answer, reduce / end / keep with a
reason, through ``reclaim.services``); and what was reclaimed and where it went."""

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.http import AuthenticatedRequest
from applications.services import decision_refusals
from portal import formats
from portal.admin_readonly import ReadOnlyInline
from portal.errors import DomainError
from reclaim import selectors, services
from reclaim.models import OPEN_STATES, ReclaimCase, ReclaimCaseTransition, ReclaimOffer
from review.admin.queue import ReviewerQueueAdmin


class ReclaimCaseTransitionInline(ReadOnlyInline):
    model = ReclaimCaseTransition
    fields = ["created_at", "actor", "from_state", "to_state", "reason"]
    verbose_name_plural = _("history")


class ReclaimOfferInline(ReadOnlyInline):
    model = ReclaimOffer
    fields = ["created_at", "application", "units"]
    verbose_name_plural = _("where the reclaimed units went")


class ReclaimStateFilter(admin.SimpleListFilter):
    """Open cases by default: that is the queue."""

    title = _("state")
    parameter_name = "state"
    OPEN = "open"

    def lookups(self, request, model_admin):
        return [(self.OPEN, _("Open (awaiting a decision)")), *ReclaimCase.State.choices, ("all", _("All"))]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or self.OPEN) == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.OPEN
        if value == self.OPEN:
            return queryset.filter(state__in=OPEN_STATES)
        if value in ReclaimCase.State.values:
            return queryset.filter(state=value)
        return queryset


class ReclaimDecisionForm(forms.Form):
    units = forms.IntegerField(
        label=_("Reduce to (units)"),
        required=False,
        min_value=1,
        help_text=_("For a reduction: the units the allocation keeps. The rest return to the pool at once."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("Required: the organisation reads it in the e-mail that tells the decision."),
    )


@admin.register(ReclaimCase)
class ReclaimCaseAdmin(ReviewerQueueAdmin):
    """The reclaim queue. Read-only: decisions go through the services, from the decision page."""

    QUEUE_ORDER = selectors.QUEUE_ORDER
    list_display = [
        "organization_name",
        "call_title",
        "offering",
        "quantity",
        "utilisation_percent",
        "idle_units",
        "trigger",
        "answer_kind",
        "due_on",
        "state",
    ]
    list_display_links = ["organization_name"]
    list_filter = [ReclaimStateFilter, "trigger", "answer_kind", "call", "allocation__offering"]
    list_select_related = ["organization", "call", "allocation__offering"]
    search_fields = ["organization__legal_name", "organization__registration_number"]
    search_help_text = _("Organisation name or business registration number.")
    ordering = tuple(QUEUE_ORDER)
    actions: list[str] = []
    change_form_template = "admin/reclaim/reclaimcase/change_form.html"
    change_list_template = "admin/reclaim/reclaimcase/change_list.html"
    fields = readonly_fields = (
        "organization",
        "call",
        "allocation",
        "state",
        "trigger",
        "window_starts_on",
        "window_ends_on",
        "used",
        "granted",
        "utilisation_percent",
        "last_used_on",
        "quantity",
        "idle_units",
        "flagged_on",
        "due_on",
        "answer_kind",
        "answer",
        "answered_by",
        "answered_at",
        "reclaimed_units",
        "decision_reason",
        "decided_at",
        "offered_at",
    )
    inlines = [ReclaimCaseTransitionInline, ReclaimOfferInline]

    def is_decidable(self, obj: ReclaimCase) -> bool:
        return obj.is_open

    def get_queryset(self, request):
        return selectors.reclaim_queue(super().get_queryset(request))

    @admin.display(description=_("organisation"), ordering="organization__legal_name")
    def organization_name(self, obj: ReclaimCase) -> str:
        return obj.organization.legal_name

    @admin.display(description=_("call"), ordering="call__title")
    def call_title(self, obj: ReclaimCase) -> str:
        return obj.call.title

    @admin.display(description=_("offering"), ordering="allocation__offering__name")
    def offering(self, obj: ReclaimCase) -> str:
        return obj.allocation.offering.name

    # --- The decision page --------------------------------------------------------------------

    def extra_urls(self) -> list[URLPattern]:
        return [
            path("reclaimed/", self.admin_site.admin_view(self.reclaimed_view), name="reclaim_reclaimcase_reclaimed"),
        ]

    def decide_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        case = get_object_or_404(
            ReclaimCase.objects.select_related(
                "organization", "call", "answered_by", "allocation__offering", "allocation__application_item"
            ),
            pk=object_id,
        )
        form = ReclaimDecisionForm(
            request.POST if request.method == "POST" else None,
            initial={"units": max(case.quantity - case.idle_units, 1)},
        )
        if request.method == "POST" and self._decide(request, case, form, request.POST.get("decision", "")):
            return HttpResponseRedirect(self.queue_url(request))
        return self._render_decision(request, case, form)

    def _decide(self, request: AuthenticatedRequest, case: ReclaimCase, form: ReclaimDecisionForm, decision: str):
        if not form.is_valid():
            self.message_user(request, gettext("Correct the decision below."), messages.ERROR)
            return False
        reason = form.cleaned_data["reason"]
        try:
            if decision == "reduce":
                units = form.cleaned_data.get("units")
                if not units:
                    form.add_error("units", gettext("Say how many units the allocation keeps."))
                    return False
                services.reclaim_case_reduce(actor=request.user, case=case, units=units, reason=reason)
                done = gettext("%(case)s: the allocation is reduced to %(units)s.") % {
                    "case": case,
                    "units": formats.figure(units),
                }
            elif decision == "end":
                services.reclaim_case_end(actor=request.user, case=case, reason=reason)
                done = gettext("%(case)s: the allocation is ended.") % {"case": case}
            elif decision == "keep":
                services.reclaim_case_keep(actor=request.user, case=case, reason=reason)
                done = gettext("%(case)s: the allocation is kept.") % {"case": case}
            else:
                self.message_user(request, gettext("Choose a decision."), messages.ERROR)
                return False
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done, messages.SUCCESS)
        return True

    def _render_decision(
        self, request: AuthenticatedRequest, case: ReclaimCase, form: ReclaimDecisionForm
    ) -> TemplateResponse:
        case.refresh_from_db(fields=["state", "decided_at", "decision_reason", "reclaimed_units"])
        case.allocation.refresh_from_db(fields=["quantity", "state"])
        refused = decision_refusals(request.user, [case]).get(case.pk)
        refusal = str(refused) if refused else ""
        application_id = case.allocation.application_item.application_id
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Decide: %(case)s") % {"case": case},
            "case": case,
            "allocation": case.allocation,
            "organization": case.organization,
            "chart": selectors.usage_chart(case),
            "history": list(case.transitions.select_related("actor")),
            "form": form,
            "refusal": refusal,
            "decidable": case.is_open,
            "queue_url": self.queue_url(request),
            "change_url": reverse("admin:reclaim_reclaimcase_change", args=[case.pk]) + self.filters_suffix(request),
            "application_url": reverse("admin:applications_application_change", args=[application_id]),
        }
        return TemplateResponse(request, "admin/reclaim/reclaimcase/decide.html", context)

    # --- Reclaimed capacity and where it went -------------------------------------------------

    def reclaimed_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        start, end = selectors.default_period()
        start = _date(request.GET.get("start"), start)
        end = _date(request.GET.get("end"), end)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Reclaimed capacity and where it went"),
            "rows": selectors.reclaimed_capacity(start, end),
            "start": start,
            "end": end,
            "csv_url": reverse("dashboard_export", args=["reclaimed"]) + f"?start={start}&end={end}"
            if request.user.has_perm("dashboard.view_dashboard")
            else "",
            "queue_url": reverse("admin:reclaim_reclaimcase_changelist"),
        }
        return TemplateResponse(request, "admin/reclaim/reclaimcase/reclaimed.html", context)


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default
