import re
from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aftercare import selectors as aftercare_selectors
from allocations import capacity
from allocations import services as allocation_services
from allocations.models import Allocation, AllocationTransition, Offering
from applications import priority, selectors, services
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    CallOffering,
    ClaimKind,
    ClaimReview,
    ClaimVerification,
    Invitation,
    Membership,
    Organization,
    PriorityClaim,
    PriorityWeight,
)

DECIDE_PERMISSION = "applications.decide_application"


def may_decide(request: HttpRequest) -> bool:
    return request.user.has_perm(DECIDE_PERMISSION)


# --- Calls --------------------------------------------------------------------------------------


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
    """The call's priority policy. Saved through ``services.priority_policy_set`` (see CallAdmin)."""

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
                services.priority_policy_set(call=form.instance, points=_weight_points(formset))
            except services.ApplicationError as error:
                messages.error(request, str(error))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:
            services.priority_policy_defaults(form.instance)

    def fill_by_priority_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not may_decide(request):
            raise PermissionDenied
        call = get_object_or_404(Call, pk=object_id)
        if request.method == "POST":
            approved, refused = allocation_services.fill_by_priority_apply(actor=request.user, call=call)
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

        plan = allocation_services.fill_by_priority_plan(call=call)
        ids = [application.pk for application in plan.approve] + [application.pk for application, _ in plan.skipped]
        ranked = {
            application.pk: application
            for application in selectors.with_rank(Application.objects.filter(pk__in=ids)).select_related(
                "organization"
            )
        }
        offerings = Offering.objects.in_bulk(list(plan.remaining))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Fill by priority: %(call)s") % {"call": call},
            "call": call,
            "approve": [ranked[application.pk] for application in plan.approve],
            "skipped": [(ranked[application.pk], shortfalls) for application, shortfalls in plan.skipped],
            "remaining": [
                (offerings[offering_id], free)
                for offering_id, free in sorted(plan.remaining.items(), key=lambda pair: offerings[pair[0]].name)
            ],
            "selection_left": plan.selection_left,
            "approved_already": Application.objects.filter(call=call, status=Application.Status.APPROVED).count(),
        }
        return TemplateResponse(request, "admin/applications/call/fill_by_priority.html", context)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "registration_number", "org_type", "region", "industry", "employees"]
    list_filter = ["org_type", "region", "industry"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "invited_by", "created_at", "accepted_at"]
    list_select_related = ["organization", "invited_by"]
    readonly_fields = ["token", "accepted_at", "accepted_by"]
    search_fields = ["email", "organization__legal_name"]


# --- Applications: the reviewer's workbench ------------------------------------------------------


class HistoryInline(admin.TabularInline):
    """Rows shown on a change page and never edited there: they change through the services."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class ApplicationItemInline(HistoryInline):
    model = ApplicationItem
    fields = ["offering", "quantity", "starts_on", "ends_on"]


class PriorityClaimInline(HistoryInline):
    model = PriorityClaim
    fields = ["kind", "details", "relocation_target", "relocation_planned_on", "verification", "verification_note"]


class ApplicationTransitionInline(HistoryInline):
    model = ApplicationTransition
    fields = ["created_at", "actor", "from_status", "to_status", "reason"]
    verbose_name_plural = _("history")


class ClaimKindFilter(admin.SimpleListFilter):
    title = _("claim")
    parameter_name = "claim_kind"

    def lookups(self, request, model_admin):
        return ClaimKind.choices

    def queryset(self, request, queryset):
        if self.value() not in ClaimKind.values:
            return queryset
        # A subquery, not a join: a join would repeat an application with several such claims.
        return queryset.filter(pk__in=PriorityClaim.objects.filter(kind=self.value()).values("application_id"))


def _requested(kind: str) -> Coalesce:
    """Units requested of offerings of ``kind``."""
    total = (
        ApplicationItem.objects.filter(application=OuterRef("pk"), offering__kind=kind)
        .order_by()
        .values("application")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def _claims(verification: str) -> Coalesce:
    """The number of the application's claims in ``verification``."""
    count = (
        PriorityClaim.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(count=Count("pk", filter=Q(verification=verification)))
        .values("count")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


# The queue's columns are correlated subqueries, not joins with GROUP BY: they cannot multiply
# each other, and the paginator's COUNT(*) drops them (a GROUP BY would make it compute every
# row's rank, a quadratic cost), so a page costs the same with 10 or 10,000 applications.
QUEUE_COLUMNS = {
    "claims_verified": lambda: _claims(ClaimVerification.VERIFIED),
    "claims_pending": lambda: _claims(ClaimVerification.PENDING),
    "claims_rejected": lambda: _claims(ClaimVerification.REJECTED),
    "requested_gpu_units": lambda: _requested(Offering.Kind.GPU),
    "requested_storage_units": lambda: _requested(Offering.Kind.STORAGE),
    # Reports the organisation owes from earlier calls, past their due date (aftercare/).
    "overdue_reports": lambda: aftercare_selectors.overdue_reports_from_earlier_calls(),
}


class OverdueReportsFilter(admin.SimpleListFilter):
    title = _("overdue reports from earlier calls")
    parameter_name = "overdue_reports"

    def lookups(self, request, model_admin):
        return [("yes", _("Some")), ("no", _("None"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_reports__gt=0)
        if self.value() == "no":
            return queryset.filter(overdue_reports=0)
        return queryset


class DecisionForm(forms.Form):
    """The granted quantity of each requested item, and the reviewer's reason."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required for a partial approval and a rejection; the applicant is told it."),
    )

    def __init__(self, *args, items: list[ApplicationItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[self.grant_name(item)] = forms.IntegerField(
                label=item.offering.name,
                min_value=0,
                max_value=item.quantity,
                initial=item.quantity,
                widget=forms.NumberInput(
                    attrs={"aria-label": gettext("Units of %(offering)s to grant") % {"offering": item.offering.name}}
                ),
            )

    @staticmethod
    def grant_name(item: ApplicationItem) -> str:
        return f"grant_{item.pk}"

    def grants(self) -> dict[int, int]:
        return {item.pk: self.cleaned_data[self.grant_name(item)] for item in self.items}

    def grant_shown(self, item: ApplicationItem) -> int:
        """The quantity the capacity preview assumes: what was entered, else what was requested."""
        try:
            return int(self.data.get(self.grant_name(item), item.quantity)) if self.is_bound else item.quantity
        except (TypeError, ValueError):
            return item.quantity


class ConflictForm(forms.Form):
    conflict_note = forms.CharField(required=False, max_length=2000)


class ClaimReviewForm(forms.Form):
    """The verdict is checked by ``services.claim_review``; the form keeps out what no text
    column takes (NUL characters) and what no note needs (more than 2,000 characters)."""

    verdict = forms.CharField(required=False, max_length=20)
    note = forms.CharField(required=False, max_length=2000)


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


class BulkDecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


Outcomes = list[tuple[Application, services.ApplicationError | None]]


def _approve(actor, applications: list[Application], reason: str) -> Outcomes:
    """In full, in queue order, in one transaction (``applications_approve``: the ledger moves
    once and the allocations are provisioned in batches); what does not fit is refused and the
    rest go on, as one approval after the other would."""
    result = allocation_services.applications_approve(actor=actor, applications=applications, reason=reason)
    approved = {application.pk for application in result.approved}
    refused = {application.pk: error for application, error in result.refused}
    return [
        (application, refused.get(application.pk))
        for application in applications
        if application.pk in approved or application.pk in refused
    ]


def _one_by_one(service: Callable) -> Callable[..., Outcomes]:
    def decide(actor, applications: list[Application], reason: str) -> Outcomes:
        outcomes: Outcomes = []
        for application in applications:
            try:
                service(actor=actor, application=application, reason=reason)
            except services.ApplicationError as error:
                outcomes.append((application, error))
            else:
                outcomes.append((application, None))
        return outcomes

    return decide


# decision -> (service, message on success, reason required, confirmation question)
BULK_DECISIONS: dict[str, tuple[Callable[..., Outcomes], str, bool, str]] = {
    "approve": (
        _approve,
        _("%(application)s approved."),
        False,
        _("Approve these applications in full, one after the other in queue order?"),
    ),
    "waitlist": (
        _one_by_one(allocation_services.application_waitlist),
        _("%(application)s wait-listed."),
        False,
        _("Put these applications on the wait-list?"),
    ),
    "reject": (
        _one_by_one(allocation_services.application_reject),
        _("%(application)s rejected."),
        True,
        _("Reject these applications?"),
    ),
}


def _reversed(field):
    if isinstance(field, str):
        return field.removeprefix("-") if field.startswith("-") else f"-{field}"
    field = field.copy()
    field.reverse_ordering()
    return field


class QueueChangeList(ChangeList):
    """Sorting by the rank column sorts by call and, within a call, in the ranking's own order
    (ranked applications first, score, submission time, id): the order of the ranks, without
    computing every row's rank to sort them (a count per row, quadratic over a call)."""

    @staticmethod
    def rank_order() -> list:
        ranked_first = Case(When(status__in=selectors.RANKED_STATUSES, then=Value(0)), default=Value(1))
        return ["call", "call_id", ranked_first.asc(), "-priority_score", "submitted_at", "pk"]

    def get_ordering(self, request, queryset):
        ordering = []
        for field in super().get_ordering(request, queryset):
            if field == "rank":
                ordering.extend(self.rank_order())
            elif field == "-rank":
                ordering.extend(_reversed(part) for part in self.rank_order())
            else:
                ordering.append(field)
        return ordering


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """The review queue. Read-only: decisions go through the allocation engine's services, from
    the decision page (``<pk>/decide/``), the bulk actions and the call's fill by priority."""

    QUEUE_ORDER = ["call", "call_id", "-priority_score", "submitted_at", "pk"]

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
    ordering = QUEUE_ORDER
    show_full_result_count = False
    actions = ["approve_selected", "waitlist_selected", "reject_selected"]
    fieldsets = [
        (None, {"fields": ["organization", "call", "status", "submitted_at", "score_and_pending"]}),
        (
            _("Project"),
            {"fields": ["purpose", "project_title", "summary", "plan", "expected_outcome", "industry_domain"]},
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

    # --- Permissions --------------------------------------------------------------------------

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request) -> bool:
        return may_decide(request)

    # --- The queue ----------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_queryset(self, request):
        return selectors.with_rank(super().get_queryset(request)).annotate(
            **{name: column() for name, column in QUEUE_COLUMNS.items()}
        )

    def get_search_results(self, request, queryset, search_term):
        # Registration numbers are stored as 10 digits but written 123-45-67890.
        if re.fullmatch(r"[\d\s-]+", search_term):
            search_term = re.sub(r"[\s-]", "", search_term)
        return super().get_search_results(request, queryset, search_term)

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if self.has_decide_permission(request):
            columns.append(self._decide_column(self.get_preserved_filters(request)))
        return columns

    def _decide_column(self, preserved_filters: str):
        @admin.display(description=_("decision"))
        def decide(obj: Application):
            if obj.status not in allocation_services.DECIDABLE:
                return "—"
            url = reverse("admin:applications_application_decide", args=[obj.pk])
            if preserved_filters:
                url = f"{url}?{preserved_filters}"
            return format_html('<a href="{}">{}</a>', url, gettext("Decide"))

        return decide

    @admin.display(description=_("rank"), ordering="rank", empty_value="—")
    def queue_rank(self, obj: Application):
        return obj.rank

    @admin.display(description=_("organisation"), ordering="organization__legal_name")
    def organization_name(self, obj: Application) -> str:
        return obj.organization.legal_name

    @admin.display(description=_("organisation type"), ordering="organization__org_type")
    def organization_type(self, obj: Application) -> str:
        return obj.organization.get_org_type_display()

    @admin.display(description=_("region"), ordering="organization__region")
    def organization_region(self, obj: Application) -> str:
        return obj.organization.get_region_display()

    @admin.display(description=_("claims (verified / pending / rejected)"))
    def claims_at_a_glance(self, obj: Application) -> str:
        return f"{obj.claims_verified} / {obj.claims_pending} / {obj.claims_rejected}"

    @admin.display(description=_("requested GPUs"), ordering="requested_gpu_units")
    def requested_gpu(self, obj: Application) -> int:
        return obj.requested_gpu_units

    @admin.display(description=_("requested storage (TB)"), ordering="requested_storage_units")
    def requested_storage(self, obj: Application) -> int:
        return obj.requested_storage_units

    @admin.display(description=_("priority score (+ pending)"), ordering="priority_score")
    def score(self, obj: Application) -> str:
        if obj.priority_pending:
            return f"{obj.priority_score} (+{obj.priority_pending})"
        return str(obj.priority_score)

    @admin.display(description=_("overdue reports (earlier calls)"), ordering="overdue_reports")
    def reports_overdue(self, obj: Application):
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
        return format_html('<a href="{}">{}</a>', reverse("application_certificate", args=[obj.pk]), _("Download"))

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

    # --- Custom views -------------------------------------------------------------------------

    def get_urls(self):
        app_label, model_name = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{app_label}_{model_name}_decide",
            ),
            path(
                "<int:object_id>/claims/<int:claim_id>/review/",
                self.admin_site.admin_view(require_POST(self.claim_review_view)),
                name=f"{app_label}_{model_name}_claim_review",
            ),
            *super().get_urls(),
        ]

    def _queue_url(self, request: HttpRequest) -> str:
        url = reverse("admin:applications_application_changelist")
        return add_preserved_filters({"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}, url)

    def _decide_url(self, request: HttpRequest, application_id) -> str:
        url = reverse("admin:applications_application_decide", args=[application_id])
        preserved_filters = self.get_preserved_filters(request)
        return f"{url}?{preserved_filters}" if preserved_filters else url

    def decide_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        application = get_object_or_404(
            selectors.with_rank(Application.objects.select_related("organization", "call")), pk=object_id
        )
        items = list(application.items.select_related("offering").order_by("pk"))
        form = DecisionForm(request.POST if request.method == "POST" else None, items=items)
        if request.method == "POST":
            decision = request.POST.get("decision", "")
            if decision == "conflict":
                conflict = ConflictForm(request.POST)
                if not conflict.is_valid():
                    self.message_user(request, _form_errors(conflict), messages.ERROR)
                    return HttpResponseRedirect(self._decide_url(request, application.pk))
                services.conflict_declare(
                    actor=request.user,
                    organization=application.organization,
                    note=conflict.cleaned_data["conflict_note"],
                )
                self.message_user(
                    request,
                    gettext(
                        "Conflict of interest with %(organization)s declared; you no longer decide its applications."
                    )
                    % {"organization": application.organization},
                    messages.WARNING,
                )
                return HttpResponseRedirect(self._queue_url(request))
            if self._decide(request, application, form, decision):
                return HttpResponseRedirect(self._queue_url(request))
        return self._render_decision(request, application, items, form)

    def _decide(self, request: HttpRequest, application: Application, form: DecisionForm, decision: str) -> bool:
        """Call the service ``decision`` names; report a refusal and return False, or True on success."""
        valid = form.is_valid()
        reason = form.cleaned_data.get("reason", "").strip()
        actor = request.user
        try:
            if decision == "approve":
                allocation_services.application_approve(actor=actor, application=application, reason=reason)
                done = gettext("%(application)s approved.")
            elif decision == "approve_partial":
                if not valid:
                    self.message_user(request, gettext("Correct the granted quantities."), messages.ERROR)
                    return False
                allocation_services.application_approve(
                    actor=actor, application=application, grants=form.grants(), reason=reason
                )
                done = gettext("%(application)s approved with the entered quantities.")
            elif decision == "waitlist":
                allocation_services.application_waitlist(actor=actor, application=application, reason=reason)
                done = gettext("%(application)s wait-listed.")
            elif decision == "reject":
                allocation_services.application_reject(actor=actor, application=application, reason=reason)
                done = gettext("%(application)s rejected.")
            else:
                self.message_user(request, gettext("Choose a decision."), messages.ERROR)
                return False
        except services.ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done % {"application": application}, messages.SUCCESS)
        return True

    def _render_decision(
        self, request: HttpRequest, application: Application, items: list[ApplicationItem], form: DecisionForm
    ) -> TemplateResponse:
        claims = list(
            application.claims.order_by("kind").prefetch_related(
                Prefetch("reviews", queryset=ClaimReview.objects.select_related("actor"))
            )
        )
        result = selectors.priority_score(application)
        kinds, verifications = dict(ClaimKind.choices), dict(ClaimVerification.choices)
        try:
            services.ensure_may_decide(request.user, application)
            refusal = ""
        except services.ApplicationError as error:
            refusal = str(error)
        preserved_filters = self.get_preserved_filters(request)
        suffix = f"?{preserved_filters}" if preserved_filters else ""
        item_rows = []
        for item in items:
            free = capacity.availability(item.offering_id, item.starts_on, item.ends_on)
            grant = form.grant_shown(item)
            item_rows.append(
                {
                    "item": item,
                    "field": form[DecisionForm.grant_name(item)],
                    "free": free.free,
                    "tightest_day": free.tightest_day,
                    "grant": grant,
                    "after": free.free - grant,
                    "fits": free.free >= grant,
                }
            )
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
            "overdue_reports": aftercare_selectors.overdue_reports_of(
                application.organization_id, except_call_id=application.call_id
            ),
            "form": form,
            "refusal": refusal,
            "decidable": application.status in allocation_services.DECIDABLE,
            "queue_url": self._queue_url(request),
            "change_url": reverse("admin:applications_application_change", args=[application.pk]) + suffix,
            "preserved_filters": preserved_filters,
        }
        return TemplateResponse(request, "admin/applications/application/decide.html", context)

    def claim_review_view(self, request: HttpRequest, object_id: int, claim_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(
            PriorityClaim.objects.select_related("application"), pk=claim_id, application_id=object_id
        )
        review = ClaimReviewForm(request.POST)
        if not review.is_valid():
            self.message_user(request, _form_errors(review), messages.ERROR)
            return HttpResponseRedirect(self._decide_url(request, claim.application_id))
        try:
            services.claim_review(
                actor=request.user,
                claim=claim,
                verdict=review.cleaned_data["verdict"],
                note=review.cleaned_data["note"],
            )
        except services.ApplicationError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            claim.refresh_from_db(fields=["verification"])
            self.message_user(
                request,
                gettext("%(claim)s: %(verification)s.")
                % {"claim": claim.get_kind_display(), "verification": claim.get_verification_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._decide_url(request, claim.application_id))

    # --- Bulk actions -------------------------------------------------------------------------

    @admin.action(description=_("Approve the selected applications in full"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, "approve")

    @admin.action(description=_("Wait-list the selected applications"), permissions=["decide"])
    def waitlist_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, "waitlist")

    @admin.action(description=_("Reject the selected applications"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, "reject")

    def _bulk_decide(self, request: HttpRequest, queryset: QuerySet[Application], decision: str):
        """Confirm first (with a reason), then decide through the services in queue order; a
        refusal is reported and the others go on."""
        service, done, reason_required, question = BULK_DECISIONS[decision]
        applications = list(queryset.order_by(*self.QUEUE_ORDER))
        form = BulkDecisionForm(request.POST if "confirm" in request.POST else None, reason_required=reason_required)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            for application, error in service(request.user, applications, reason):
                if error is not None:
                    self.message_user(
                        request,
                        gettext("%(application)s: %(error)s") % {"application": application, "error": error},
                        messages.ERROR,
                    )
                else:
                    self.message_user(request, str(done) % {"application": application}, messages.SUCCESS)
            return None
        if form.is_bound:
            self.message_user(request, gettext("Give a reason."), messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Confirm the decision"),
            "question": str(question),
            "selected": applications,
            "form": form,
            "action": f"{decision}_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/applications/application/confirm_action.html", context)
