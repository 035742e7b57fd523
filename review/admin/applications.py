"""The review queue (the application changelist) and the decision page of one application."""

import re
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accesslog.admin import RecordsChangePageViews
from accesslog.http import record_access
from accesslog.models import AccessPage
from accounts.http import AuthenticatedRequest
from aftercare.selectors import overdue_reports_of
from allocations.models import Allocation, AllocationTransition
from allocations.services import decisions
from applications import selectors as application_selectors
from applications import services as application_services
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    ClaimKind,
    ClaimReview,
    ClaimVerification,
    Organization,
    PriorityClaim,
)
from portal.admin_readonly import ReadOnlyInline
from portal.errors import DomainError
from review import selectors
from review.admin.filters import ClaimKindFilter, OverdueReportsFilter
from review.admin.forms import ClaimReviewForm, ConflictForm, DecisionForm, form_errors
from review.admin.paginator import QueuePaginator
from review.admin.queue import BulkDecision, Outcomes, ReviewerQueueAdmin, one_by_one

if TYPE_CHECKING:
    from review.selectors import QueueRow


ORGANIZATION_TYPES = dict(Organization.Type.choices)
REGIONS = dict(Organization._meta.get_field("region").flatchoices)


class ApplicationItemInline(ReadOnlyInline):
    model = ApplicationItem
    fields = ["offering", "quantity", "starts_on", "ends_on"]


class PriorityClaimInline(ReadOnlyInline):
    model = PriorityClaim
    fields = ["kind", "details", "relocation_target", "relocation_planned_on", "verification", "verification_note"]


class ApplicationTransitionInline(ReadOnlyInline):
    model = ApplicationTransition
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    verbose_name_plural = _("history")


def _approve_in_queue_order(actor, applications: list[Application], reason: str) -> Outcomes:
    """In full, in queue order, in one transaction (``applications_approve``: the ledger moves
    once and the allocations are provisioned in batches); what does not fit is refused and the
    rest go on, as one approval after the other would."""
    result = decisions.applications_approve(actor=actor, applications=applications, reason=reason)
    approved = {application.pk for application in result.approved}
    refused = {application.pk: error for application, error in result.refused}
    return [
        (application, refused.get(application.pk))
        for application in applications
        if application.pk in approved or application.pk in refused
    ]


def _reversed(field):
    if isinstance(field, str):
        return field.removeprefix("-") if field.startswith("-") else f"-{field}"
    field = field.copy()
    field.reverse_ordering()
    return field


class QueueChangeList(ChangeList):
    """The queue's sorts, each the order of one index (read forwards or backwards), so that a
    page is the first rows of an index scan, not a sort of the whole call: by default and by
    the rank column, the ranking's own order (``selectors.rank_order``); by another column,
    that column, then the id in the same direction (Django's changelist would add the queue's
    order after it and break ties by "-pk", an order no index has)."""

    def get_ordering(self, request, queryset):
        ordering = list(super().get_ordering(request, queryset))
        default = list(queryset.query.order_by)
        if ORDER_VAR not in self.params or ordering[len(ordering) - len(default) :] != default:
            return ordering
        clicked: list[Any] = []
        for field in ordering[: len(ordering) - len(default)]:
            if field == "rank":
                clicked.extend(selectors.rank_order())
            elif field == "-rank":
                clicked.extend(_reversed(part) for part in selectors.rank_order())
            else:
                clicked.append(field)
        if not clicked:
            return ordering
        if not any(field in ("pk", "-pk", "id", "-id") for field in clicked):
            clicked.append("-pk" if _descending(clicked[0]) else "pk")
        return clicked


def _descending(field) -> bool:
    return field.startswith("-") if isinstance(field, str) else bool(getattr(field, "descending", False))


@admin.register(Application)
class ApplicationAdmin(RecordsChangePageViews, ReviewerQueueAdmin):
    """The review queue. Read-only: decisions go through the allocation engine's services, from
    the decision page (``<pk>/decide/``), the bulk actions and the call's fill by priority. The
    change page and the decision page are recorded in the personal-data access log."""

    access_page = AccessPage.APPLICATION_ADMIN

    QUEUE_ORDER = selectors.APPLICATION_QUEUE_ORDER
    # Counts exactly up to 10,000 rows, estimates past that (no COUNT(*) over a whole call).
    paginator = QueuePaginator
    confirm_template = "admin/applications/application/confirm_action.html"
    bulk_decisions = {
        "approve": BulkDecision(
            _approve_in_queue_order,
            _("%(application)s approved."),
            False,
            _("Approve these applications in full, one after the other in queue order?"),
        ),
        "waitlist": BulkDecision(
            one_by_one(decisions.application_waitlist, "application"),
            _("%(application)s wait-listed."),
            False,
            _("Put these applications on the wait-list?"),
        ),
        "reject": BulkDecision(
            one_by_one(decisions.application_reject, "application"),
            _("%(application)s rejected."),
            True,
            _("Reject these applications?"),
        ),
    }

    list_display = [
        "queue_rank",
        "organization_name",
        "organization_type",
        "organization_region",
        "claims_at_a_glance",
        "requested_gpu",
        "requested_storage",
        "score",
        "reports_overdue",
        "status",
        "submitted_at",
    ]
    list_display_links = ["organization_name"]
    list_filter = [
        "call",
        "status",
        ClaimKindFilter,
        "organization__org_type",
        "organization__industry",
        "purpose",
        "organization__region",
        OverdueReportsFilter,
    ]
    list_select_related = ["organization", "call"]
    search_fields = ["organization__legal_name", "organization__registration_number"]
    search_help_text = _("Organisation name or business registration number.")
    ordering = tuple(QUEUE_ORDER)
    actions = ["approve_selected", "waitlist_selected", "reject_selected"]
    fieldsets = [
        (None, {"fields": ["organization", "call", "status", "submitted_at", "score_and_pending"]}),
        (
            _("Project"),
            {
                "fields": [
                    "purpose",
                    "project_title",
                    "title_listed_publicly",
                    "summary",
                    "plan",
                    "expected_outcome",
                    "industry_domain",
                ]
            },
        ),
        (_("Documents"), {"fields": ["certificate", "created_by", "created_at"]}),
        (_("Claim reviews and allocations"), {"fields": ["claim_review_history", "allocation_history"]}),
    ]
    readonly_fields = [
        "organization",
        "call",
        "status",
        "purpose",
        "project_title",
        "title_listed_publicly",
        "summary",
        "plan",
        "expected_outcome",
        "industry_domain",
        "certificate",
        "created_by",
        "created_at",
        "submitted_at",
        "score_and_pending",
        "claim_review_history",
        "allocation_history",
    ]
    inlines = [ApplicationItemInline, PriorityClaimInline, ApplicationTransitionInline]

    def is_decidable(self, obj: Application) -> bool:
        return obj.is_decidable

    # --- The queue ----------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_queryset(self, request):
        return selectors.application_queue(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        # Registration numbers are stored as 10 digits but written 123-45-67890.
        if re.fullmatch(r"[\d\s-]+", search_term):
            search_term = re.sub(r"[\s-]", "", search_term)
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("rank"), ordering="rank", empty_value="—")
    def queue_rank(self, obj: "QueueRow"):
        return obj.rank

    @admin.display(description=_("organisation"), ordering="organization__legal_name")
    def organization_name(self, obj: Application) -> str:
        return obj.organization.legal_name

    @admin.display(description=_("organisation type"), ordering="organization__org_type")
    def organization_type(self, obj: Application) -> str:
        # What get_org_type_display() says, without its per-call hashing of the choices.
        return str(ORGANIZATION_TYPES.get(obj.organization.org_type, obj.organization.org_type))

    @admin.display(description=_("region"), ordering="organization__region")
    def organization_region(self, obj: Application) -> str:
        """The region chosen; where the address names another (or none), that is said beside it."""
        organization = obj.organization
        chosen = str(REGIONS.get(organization.region, organization.region))
        named = organization.address_region
        if named == organization.region:
            return chosen
        return _("%(chosen)s (address: %(named)s)") % {
            "chosen": chosen,
            "named": named.label if named else _("no province named"),
        }

    @admin.display(description=_("claims (verified / pending / rejected)"))
    def claims_at_a_glance(self, obj: "QueueRow") -> str:
        return f"{obj.claims_verified} / {obj.claims_pending} / {obj.claims_rejected}"

    @admin.display(description=_("requested GPUs"), ordering="requested_gpu_units")
    def requested_gpu(self, obj: "QueueRow") -> int:
        return obj.requested_gpu_units

    @admin.display(description=_("requested storage (TB)"), ordering="requested_storage_units")
    def requested_storage(self, obj: "QueueRow") -> int:
        return obj.requested_storage_units

    @admin.display(description=_("priority score (+ pending)"), ordering="priority_score")
    def score(self, obj: Application) -> str:
        if obj.priority_pending:
            return f"{obj.priority_score} (+{obj.priority_pending})"
        return str(obj.priority_score)

    @admin.display(description=_("overdue reports (earlier calls)"), ordering="overdue_reports")
    def reports_overdue(self, obj: "QueueRow"):
        if not obj.overdue_reports:
            return "—"
        return format_html('<strong class="overdue-reports">{}</strong>', obj.overdue_reports)

    # --- The change page ----------------------------------------------------------------------

    @admin.display(description=_("priority score (+ pending)"))
    def score_and_pending(self, obj: Application) -> str:
        return self.score(obj)

    @admin.display(description=_("business registration certificate"))
    def certificate(self, obj: Application):
        # Uploads have no public URL: link to the download view, which checks the viewer's rights.
        if not obj.business_certificate:
            return "—"
        return format_html(
            '<a href="{}" download>{}</a>',
            reverse("application_certificate", args=[obj.pk]),
            obj.certificate_display_name,
        )

    @admin.display(description=_("claim reviews"))
    def claim_review_history(self, obj: Application):
        reviews = ClaimReview.objects.filter(claim__application=obj).select_related("claim", "actor")
        return render_to_string(
            "admin/applications/application/includes/_claim_reviews.html", {"reviews": list(reviews)}
        )

    @admin.display(description=_("allocations"))
    def allocation_history(self, obj: Application):
        allocations = (
            Allocation.objects.filter(application_item__application=obj)
            .select_related("offering")
            .prefetch_related(Prefetch("transitions", queryset=AllocationTransition.objects.select_related("actor")))
            .order_by("pk")
        )
        return render_to_string(
            "admin/applications/application/includes/_allocations.html", {"allocations": list(allocations)}
        )

    # --- The decision page --------------------------------------------------------------------

    def extra_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/claims/<int:claim_id>/review/",
                self.admin_site.admin_view(require_POST(self.claim_review_view)),
                name=f"{self.opts.app_label}_{self.opts.model_name}_claim_review",
            ),
        ]

    def decide_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        application = get_object_or_404(Application.objects.select_related("organization", "call"), pk=object_id)
        items = list(application.items.select_related("offering").order_by("pk"))
        form = DecisionForm(request.POST if request.method == "POST" else None, items=items)
        if request.method == "POST":
            decision = request.POST.get("decision", "")
            if decision == "conflict":
                return self._declare_conflict(request, application)
            if self._decide(request, application, form, decision):
                return HttpResponseRedirect(self.queue_url(request))
        return self._render_decision(request, application, items, form)

    def _declare_conflict(self, request: AuthenticatedRequest, application: Application) -> HttpResponse:
        conflict = ConflictForm(request.POST)
        if not conflict.is_valid():
            self.message_user(request, form_errors(conflict), messages.ERROR)
            return HttpResponseRedirect(self.decide_url(request, application.pk))
        application_services.conflict_declare(
            actor=request.user, organization=application.organization, note=conflict.cleaned_data["conflict_note"]
        )
        self.message_user(
            request,
            gettext("Conflict of interest with %(organization)s declared; you no longer decide its applications.")
            % {"organization": application.organization},
            messages.WARNING,
        )
        return HttpResponseRedirect(self.queue_url(request))

    def _decide(
        self, request: AuthenticatedRequest, application: Application, form: DecisionForm, decision: str
    ) -> bool:
        """Call the service ``decision`` names; report a refusal and return False, or True on success."""
        valid = form.is_valid()
        reason = form.cleaned_data.get("reason", "").strip()
        actor = request.user
        try:
            if decision == "approve":
                decisions.application_approve(actor=actor, application=application, reason=reason)
                done = gettext("%(application)s approved.")
            elif decision == "approve_partial":
                if not valid:
                    self.message_user(request, gettext("Correct the granted quantities."), messages.ERROR)
                    return False
                decisions.application_approve(actor=actor, application=application, grants=form.grants(), reason=reason)
                done = gettext("%(application)s approved with the entered quantities.")
            elif decision == "waitlist":
                decisions.application_waitlist(actor=actor, application=application, reason=reason)
                done = gettext("%(application)s wait-listed.")
            elif decision == "reject":
                decisions.application_reject(actor=actor, application=application, reason=reason)
                done = gettext("%(application)s rejected.")
            else:
                self.message_user(request, gettext("Choose a decision."), messages.ERROR)
                return False
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done % {"application": application}, messages.SUCCESS)
        return True

    def _render_decision(
        self, request: AuthenticatedRequest, application: Application, items: list[ApplicationItem], form: DecisionForm
    ) -> TemplateResponse:
        claims = list(
            application.claims.order_by("kind").prefetch_related(
                Prefetch("reviews", queryset=ClaimReview.objects.select_related("actor"))
            )
        )
        result = application_selectors.priority_score(application)
        kinds, verifications = dict(ClaimKind.choices), dict(ClaimVerification.choices)
        try:
            application_services.ensure_may_decide(request.user, application)
            refusal = ""
        except DomainError as error:
            refusal = str(error)
        suffix = self.filters_suffix(request)
        grants = [(item, form.grant_shown(item)) for item in items]
        item_rows = [
            {
                "item": item,
                "field": form[DecisionForm.grant_name(item)],
                "free": shown.free,
                "tightest_day": shown.tightest_day,
                "grant": grant,
                "after": shown.after,
                "fits": shown.fits,
            }
            for (item, grant), shown in zip(grants, selectors.grant_preview(grants), strict=True)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Decide: %(application)s") % {"application": application},
            "application": application,
            "organization": application.organization,
            "certificate_url": (
                reverse("application_certificate", args=[application.pk]) if application.business_certificate else ""
            ),
            "claims": [
                {
                    "claim": claim,
                    "evidence_url": reverse("claim_evidence", args=[claim.pk]) if claim.evidence else "",
                    "review_url": reverse(
                        "admin:applications_application_claim_review", args=[application.pk, claim.pk]
                    )
                    + suffix,
                    "reviews": list(claim.reviews.all()),
                }
                for claim in claims
            ],
            "score": result,
            "breakdown": [
                {
                    "kind": kinds.get(line.kind, line.kind),
                    "points": line.points,
                    "verification": verifications.get(line.verification, line.verification),
                    "counts": line.counts,
                }
                for line in result.breakdown
            ],
            "item_rows": item_rows,
            "overdue_reports": overdue_reports_of(application.organization_id, except_call_id=application.call_id),
            "form": form,
            "refusal": refusal,
            "decidable": application.is_decidable,
            "queue_url": self.queue_url(request),
            "change_url": reverse("admin:applications_application_change", args=[application.pk]) + suffix,
            "preserved_filters": self.get_preserved_filters(request),
        }
        response = TemplateResponse(request, "admin/applications/application/decide.html", context)
        record_access(request, page=AccessPage.DECISION_PAGE, subject=application)
        return response

    def claim_review_view(self, request: AuthenticatedRequest, object_id: int, claim_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(
            PriorityClaim.objects.select_related("application"), pk=claim_id, application_id=object_id
        )
        review = ClaimReviewForm(request.POST)
        if not review.is_valid():
            self.message_user(request, form_errors(review), messages.ERROR)
            return HttpResponseRedirect(self.decide_url(request, claim.application_id))
        try:
            application_services.claim_review(
                actor=request.user,
                claim=claim,
                verdict=review.cleaned_data["verdict"],
                note=review.cleaned_data["note"],
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            claim.refresh_from_db(fields=["verification"])
            self.message_user(
                request,
                gettext("%(claim)s: %(verification)s.")
                % {"claim": claim.get_kind_display(), "verification": claim.get_verification_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self.decide_url(request, claim.application_id))

    # --- Bulk actions -------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected applications in full"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self.bulk_decide(request, queryset, "approve")

    @admin.action(description=_("Wait-list the selected applications"), permissions=["decide"])
    def waitlist_selected(self, request, queryset):
        return self.bulk_decide(request, queryset, "waitlist")

    @admin.action(description=_("Reject the selected applications"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self.bulk_decide(request, queryset, "reject")
