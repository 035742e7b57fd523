"""Merit evaluation in the admin. Operators set how a call selects (its selection policy), its
stages and their rubrics; reviewers open and close the stages, assign evaluators (automatically
or by hand, and again when one declines or misses the deadline), read the panel sheet (a page,
a CSV file and a printable page) and record the committee's decision per application through
the engine's decision services. Every change goes through ``evaluation.services``; a refusal is
reported in one message and changes nothing.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from allocations.services import decisions
from applications.models import Application
from evaluation import panel
from evaluation.models import (
    Assignment,
    AssignmentTransition,
    CallEvaluation,
    ConflictDeclaration,
    Criterion,
    EvaluationPolicyChange,
    Evaluator,
    Stage,
    StageTransition,
)
from evaluation.selectors import active_evaluators, assignable_applications
from evaluation.services import assignment as assigning
from evaluation.services import configuration, ranking
from portal.admin_readonly import ReadOnlyInline, ViewOnlyAdmin
from portal.errors import DomainError
from portal.spreadsheets import csv_response
from review.admin.forms import form_errors
from review.admin.panel_rows import panel_rows_html
from review.admin.queue import DECIDE_PERMISSION

PANEL_PERMISSION = "evaluation.view_stageresult"
ASSIGN_PERMISSION = "evaluation.assign_evaluators"
RUN_PERMISSION = "evaluation.run_stage"


def _report(admin_page: admin.ModelAdmin, request, plan: assigning.AssignmentPlan) -> None:
    admin_page.message_user(
        request,
        gettext("%(count)s assignments made.") % {"count": len(plan.created)},
        messages.SUCCESS,
    )
    if plan.flagged:
        admin_page.message_user(
            request,
            gettext("%(count)s conflicts of interest found and recorded; those evaluators were skipped.")
            % {"count": len(plan.flagged)},
            messages.WARNING,
        )
    if plan.short:
        admin_page.message_user(
            request,
            gettext("%(count)s applications are short of evaluators: no free evaluator is left for them.")
            % {"count": len(plan.short)},
            messages.WARNING,
        )


# --- The call's selection policy ----------------------------------------------------------------


class CallEvaluationForm(forms.ModelForm):
    class Meta:
        model = CallEvaluation
        fields = ["call", "mode", "reserved_claim", "reserved_percent", "objection_days"]

    def clean(self):
        cleaned = super().clean() or {}
        call = self.instance.call if self.instance.pk else cleaned.get("call")
        if call is not None and not self.errors:
            problems = configuration.policy_problems(
                call,
                cleaned.get("mode", ""),
                cleaned.get("reserved_claim", ""),
                cleaned.get("reserved_percent") or 0,
                cleaned.get("objection_days") or 0,
            )
            if problems:
                raise ValidationError(problems)
        return cleaned


class PolicyChangeInline(ReadOnlyInline):
    model = EvaluationPolicyChange
    fk_name = "call"
    fields = ["created_at", "actor", "before", "after"]
    verbose_name_plural = _("selection policy changes")


@admin.register(CallEvaluation)
class CallEvaluationAdmin(admin.ModelAdmin):
    form = CallEvaluationForm
    list_display = ["call", "mode", "reserved_share", "objection_days", "stages", "updated_at"]
    list_select_related = ["call"]
    list_filter = ["mode"]
    search_fields = ["call__title"]
    autocomplete_fields = ["call"]
    readonly_fields = ["stages", "history"]

    def get_readonly_fields(self, request, obj=None):
        # A policy belongs to its call for good.
        return [*self.readonly_fields, "call"] if obj is not None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return ["call", "mode", "reserved_claim", "reserved_percent", "objection_days", "stages", "history"]

    @admin.display(description=_("reserved share of the selections (%)"))
    def reserved_share(self, obj: CallEvaluation) -> str:
        return f"{obj.get_reserved_claim_display()} {obj.reserved_percent}%" if obj.has_reserved_share else "—"

    @admin.display(description=_("evaluation stages"))
    def stages(self, obj: CallEvaluation):
        if obj.pk is None:
            return "—"
        url = reverse("admin:evaluation_stage_changelist") + f"?call__id__exact={obj.call_id}"
        return format_html('<a href="{}">{}</a>', url, gettext("The call's stages"))

    @admin.display(description=_("selection policy changes"))
    def history(self, obj: CallEvaluation) -> str:
        changes = EvaluationPolicyChange.objects.filter(call_id=obj.call_id).select_related("actor") if obj.pk else []
        return render_to_string("admin/includes/changes.html", {"changes": list(changes)})

    def save_model(self, request, obj, form, change):
        # Through the service, which records the change; the form checked its rules already.
        try:
            saved = configuration.call_evaluation_set(
                actor=request.user,
                call=obj.call,
                mode=obj.mode,
                reserved_claim=obj.reserved_claim,
                reserved_percent=obj.reserved_percent,
                objection_days=obj.objection_days,
            )
        except DomainError as error:
            raise PermissionDenied(str(error)) from error
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # a call goes back to priority alone by its mode, recorded


# --- Stages and rubrics -------------------------------------------------------------------------


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["call", "name", "deadline", "evaluators_per_application", "scale", "pass_threshold", "pass_top"]

    def rules(self) -> configuration.StageRules:
        data = self.cleaned_data
        return configuration.StageRules(
            name=data.get("name") or "",
            deadline=data["deadline"],
            evaluators_per_application=data.get("evaluators_per_application") or 0,
            scale=data.get("scale") or 0,
            pass_threshold=data.get("pass_threshold"),
            pass_top=data.get("pass_top"),
        )

    def clean(self):
        cleaned = super().clean() or {}
        if self.instance.pk and not self.instance.is_preparing:
            raise ValidationError(_("A stage's rules change only while it is being prepared."))
        if not self.errors and cleaned.get("deadline"):
            problems = configuration.rules_problems(self.rules())
            if problems:
                raise ValidationError(problems)
        return cleaned


class RubricFormSet(forms.BaseInlineFormSet):
    def criteria(self) -> list[configuration.CriterionInput]:
        return [
            configuration.CriterionInput(
                name=form.cleaned_data["name"],
                weight=form.cleaned_data["weight"],
                description=form.cleaned_data.get("description", ""),
                reason_required=form.cleaned_data.get("reason_required", False),
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("name")
        ]

    def clean(self):
        super().clean()
        if any(self.errors) or not self.has_changed():
            return
        try:
            configuration.check_rubric(self.criteria())
        except DomainError as error:
            raise ValidationError(str(error)) from error


class CriterionInline(admin.TabularInline):
    """The stage's rubric; saved as a whole through ``rubric_set`` (see StageAdmin)."""

    model = Criterion
    formset = RubricFormSet
    fields = ["name", "weight", "reason_required", "description"]
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 4 if obj is None or not obj.criteria.exists() else 0

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_preparing)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_preparing)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_preparing)


class StageTransitionInline(ReadOnlyInline):
    model = StageTransition
    fields = ["created_at", "actor", "from_state", "to_state", "reason"]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    form = StageForm
    list_display = ["call", "order", "name", "state", "deadline", "evaluators_per_application", "progress", "links"]
    list_select_related = ["call"]
    list_filter = ["state"]
    search_fields = ["name", "call__title"]
    autocomplete_fields = ["call"]
    ordering = ["-call__deadline", "order"]
    inlines = [CriterionInline, StageTransitionInline]
    readonly_fields = ["state", "order", "opened_at", "closed_at"]
    change_form_template = "admin/evaluation/stage/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                assigned=Count("assignments", filter=Q(assignments__state__in=["assigned", "submitted"])),
                submitted=Count("assignments", filter=Q(assignments__state="submitted")),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "call"] if obj is not None else self.readonly_fields

    @admin.display(description=_("scores submitted"))
    def progress(self, obj) -> str:
        return f"{obj.submitted} / {obj.assigned}"

    @admin.display(description=_("panel sheet"))
    def links(self, obj: Stage):
        if obj.is_preparing:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:evaluation_stage_panel", args=[obj.pk]), _("Open"))

    # Saved through the services: the rules, then the rubric as a whole.
    def save_model(self, request, obj, form, change):
        try:
            saved = configuration.stage_save(
                actor=request.user,
                call=form.cleaned_data.get("call") or obj.call,
                rules=form.rules(),
                stage=obj if change else None,
            )
        except DomainError as error:
            raise PermissionDenied(str(error)) from error
        obj.pk, obj.order, obj.state = saved.pk, saved.order, saved.state

    def save_formset(self, request, form, formset, change):
        if formset.model is not Criterion:
            return super().save_formset(request, form, formset, change)
        if formset.has_changed():
            try:
                configuration.rubric_set(actor=request.user, stage=form.instance, criteria=formset.criteria())
            except DomainError as error:
                raise PermissionDenied(str(error)) from error
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        configuration.stage_delete(actor=request.user, stage=obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        # A stage is removed through its page (``stage_delete``: the later stages move up), never
        # by the bulk delete, which would skip the service.
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_preparing)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        stage = Stage.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {
            **(extra_context or {}),
            "stage_actions": stage is not None and not stage.is_closed,
            "may_run": request.user.has_perm(RUN_PERMISSION),
            "may_assign": request.user.has_perm(ASSIGN_PERMISSION),
            "rubric_problems": configuration.stage_rubric_problems(stage) if stage and stage.is_preparing else [],
            "evaluators": list(active_evaluators()) if stage is not None and stage.is_scoring else [],
        }
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/open/", view(require_POST(self.open_view)), name=f"{name}_open"),
            path("<int:object_id>/close/", view(require_POST(self.close_view)), name=f"{name}_close"),
            path("<int:object_id>/assign/", view(require_POST(self.assign_view)), name=f"{name}_assign"),
            path("<int:object_id>/assign-one/", view(require_POST(self.assign_one_view)), name=f"{name}_assign_one"),
            path("<int:object_id>/reassign/", view(require_POST(self.reassign_view)), name=f"{name}_reassign"),
            path("<int:object_id>/panel/", view(self.panel_view), name=f"{name}_panel"),
            path("<int:object_id>/panel.csv", view(self.panel_csv_view), name=f"{name}_panel_csv"),
            path("<int:object_id>/panel/print/", view(self.panel_print_view), name=f"{name}_panel_print"),
            path("<int:object_id>/panel/decide/", view(require_POST(self.decide_view)), name=f"{name}_decide"),
            *super().get_urls(),
        ]

    def _stage(self, request: AuthenticatedRequest, object_id: int, permission: str) -> Stage:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return get_object_or_404(Stage.objects.select_related("call"), pk=object_id)

    def _back(self, stage: Stage) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:evaluation_stage_change", args=[stage.pk]))

    def _run(self, request, stage: Stage, action) -> HttpResponseRedirect:
        try:
            done = action()
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            if isinstance(done, assigning.AssignmentPlan):
                _report(self, request, done)
            elif isinstance(done, ranking.StageOutcome):
                self.message_user(
                    request,
                    gettext("Stage closed: %(passed)s passed, %(failed)s did not.")
                    % {"passed": len(done.passed), "failed": len(done.failed)},
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, gettext("Scoring is open."), messages.SUCCESS)
        return self._back(stage)

    def open_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, RUN_PERMISSION)
        return self._run(request, stage, lambda: configuration.stage_open(actor=request.user, stage=stage))

    def close_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, RUN_PERMISSION)
        return self._run(request, stage, lambda: ranking.stage_close(actor=request.user, stage=stage))

    def assign_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, ASSIGN_PERMISSION)
        return self._run(request, stage, lambda: assigning.assignments_auto(actor=request.user, stage=stage))

    def reassign_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, ASSIGN_PERMISSION)
        return self._run(
            request, stage, lambda: assigning.assignments_reassign_overdue(actor=request.user, stage=stage)
        )

    def assign_one_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, ASSIGN_PERMISSION)
        form = AssignOneForm(request.POST, stage=stage)
        if not form.is_valid():
            self.message_user(request, form_errors(form), messages.ERROR)
            return self._back(stage)
        try:
            assigning.assignment_create(
                actor=request.user,
                stage=stage,
                application=form.cleaned_data["application"],
                evaluator=form.cleaned_data["evaluator"],
            )
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, gettext("The evaluator is assigned."), messages.SUCCESS)
        return self._back(stage)

    # --- The panel sheet ------------------------------------------------------------------------

    def _panel_context(self, request: AuthenticatedRequest, stage: Stage, *, decisions: bool) -> dict:
        sheet = panel.panel_sheet(stage)
        decisions = decisions and request.user.has_perm(DECIDE_PERMISSION)
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Panel sheet: %(stage)s") % {"stage": stage},
            "stage": stage,
            "sheet": sheet,
            "decisions": decisions,
            "rows_html": panel_rows_html(sheet, request=request, decisions=decisions),
        }

    def panel_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, PANEL_PERMISSION)
        context = self._panel_context(request, stage, decisions=True)
        return TemplateResponse(request, "admin/evaluation/stage/panel.html", context)

    def panel_print_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, PANEL_PERMISSION)
        context = self._panel_context(request, stage, decisions=False)
        return TemplateResponse(request, "admin/evaluation/stage/panel_print.html", context)

    def panel_csv_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        stage = self._stage(request, object_id, PANEL_PERMISSION)
        return csv_response(f"panel-{stage.call_id}-{stage.order}", panel.panel_table(panel.panel_sheet(stage)))

    def decide_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        """The committee's decision on one application of the sheet, through the engine's services."""
        stage = self._stage(request, object_id, DECIDE_PERMISSION)
        form = CommitteeDecisionForm(request.POST)
        back = HttpResponseRedirect(reverse("admin:evaluation_stage_panel", args=[stage.pk]))
        if not form.is_valid():
            self.message_user(request, form_errors(form), messages.ERROR)
            return back
        application = get_object_or_404(
            Application.objects.select_related("organization"), pk=form.cleaned_data["application"], call=stage.call
        )
        decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"].strip()
        try:
            if decision == "approve":
                decisions.application_approve(actor=request.user, application=application, reason=reason)
                done = gettext("%(application)s approved.")
            elif decision == "waitlist":
                decisions.application_waitlist(actor=request.user, application=application, reason=reason)
                done = gettext("%(application)s wait-listed.")
            else:
                decisions.application_reject(actor=request.user, application=application, reason=reason)
                done = gettext("%(application)s rejected.")
        except DomainError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(request, done % {"application": application}, messages.SUCCESS)
        return back


class AssignOneForm(forms.Form):
    application = forms.IntegerField(label=_("Application number"))
    evaluator = forms.ModelChoiceField(queryset=Evaluator.objects.none(), label=_("evaluator"))

    def __init__(self, *args, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.fields["evaluator"].queryset = Evaluator.objects.filter(is_active=True)  # type: ignore[attr-defined]

    def clean_application(self):
        application = assignable_applications(self.stage).filter(pk=self.cleaned_data["application"]).first()
        if application is None:
            raise ValidationError(_("This stage does not evaluate this application, or it is decided already."))
        return application


class CommitteeDecisionForm(forms.Form):
    application = forms.IntegerField()
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("waitlist", _("Wait-list")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(required=False, max_length=2000)


# --- Assignments, conflicts, evaluators ---------------------------------------------------------


class AssignmentTransitionInline(ReadOnlyInline):
    model = AssignmentTransition
    fields = ["created_at", "actor", "from_state", "to_state", "reason"]


@admin.register(Assignment)
class AssignmentAdmin(ViewOnlyAdmin):
    list_display = ["stage", "application", "evaluator", "state", "due_at", "assigned_at", "submitted_at"]
    list_select_related = ["stage__call", "application__organization", "evaluator"]
    list_filter = ["state", "stage__call"]
    search_fields = ["evaluator__name", "application__organization__legal_name"]
    fields = ["stage", "application", "evaluator", "state", "due_at", "assigned_by", "assigned_at", "submitted_at"]
    inlines = [AssignmentTransitionInline]
    actions = ["reassign_selected"]

    @admin.action(description=_("Give the selected assignments to another evaluator"), permissions=["assign"])
    def reassign_selected(self, request, queryset):
        for assignment in queryset.select_related("stage").order_by("pk"):
            try:
                plan = assigning.assignment_reassign(actor=request.user, assignment=assignment)
            except DomainError as error:
                self.message_user(request, f"{assignment}: {error}", messages.ERROR)
            else:
                _report(self, request, plan)

    def has_assign_permission(self, request) -> bool:
        return request.user.has_perm(ASSIGN_PERMISSION)


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(admin.ModelAdmin):
    """Conflicts found by the portal or declared by evaluators; a reviewer records a challenge (기피)."""

    list_display = ["evaluator", "organization", "kind", "source", "created_at"]
    list_select_related = ["evaluator", "organization"]
    list_filter = ["source", "kind"]
    search_fields = ["evaluator__name", "organization__legal_name"]
    autocomplete_fields = ["evaluator", "organization"]
    fields = ["evaluator", "organization", "kind", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        obj.source, obj.declared_by = ConflictDeclaration.Source.RECORDED, request.user
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evaluator)
class EvaluatorAdmin(admin.ModelAdmin):
    list_display = ["name", "affiliation", "email_domain", "expertise", "is_active", "pledge_accepted_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "affiliation", "user__email"]
    fields = [
        "name",
        "affiliation",
        "affiliation_registration_number",
        "expertise",
        "is_active",
        "email_domain",
        "pledge_accepted_at",
        "invited_by",
        "created_at",
    ]
    readonly_fields = ["email_domain", "pledge_accepted_at", "invited_by", "created_at"]

    def has_add_permission(self, request):
        return False  # evaluators join through an invitation, on the site

    def has_delete_permission(self, request, obj=None):
        return False
