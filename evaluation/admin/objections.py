"""Objections (이의신청) in the admin: reviewers read them and decide each on its decision page
with a written reason (re-evaluation or upheld), through ``services.objections``."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accesslog.admin import RecordsChangePageViews
from accesslog.http import record_access
from accesslog.models import AccessPage
from accounts.http import AuthenticatedRequest
from applications.services import ensure_may_decide
from evaluation.models import Objection, ObjectionTransition
from evaluation.services import objections
from portal.admin_readonly import ReadOnlyInline, ViewOnlyAdmin
from portal.errors import DomainError


class ObjectionDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[(state.value, state.label) for state in objections.OUTCOMES],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for the decision"),
        max_length=objections.REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("The applicant reads it in the e-mail and on the application's page."),
    )


class ObjectionTransitionInline(ReadOnlyInline):
    model = ObjectionTransition
    fields = ["created_at", "actor", "from_state", "to_state", "reason"]
    verbose_name_plural = _("history")


@admin.register(Objection)
class ObjectionAdmin(RecordsChangePageViews, ViewOnlyAdmin):
    access_page = AccessPage.APPLICATION_ADMIN  # the organisation's objection to its evaluation
    list_display = ["filed_at", "organization", "call", "state", "decided_at", "decide_link"]
    list_filter = ["state", "application__call"]
    list_select_related = ["application__organization", "application__call"]
    search_fields = ["application__organization__legal_name", "application__organization__registration_number"]
    ordering = ["state", "filed_at", "pk"]
    show_full_result_count = False
    fields = readonly_fields = (
        "application",
        "state",
        "reason",
        "attachment_link",
        "filed_by",
        "filed_at",
        "decision_reason",
        "decided_by",
        "decided_at",
    )
    inlines = [ObjectionTransitionInline]

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(objections.DECIDE_PERMISSION)

    @admin.display(description=_("organisation"), ordering="application__organization__legal_name")
    def organization(self, obj: Objection) -> str:
        return obj.application.organization.legal_name

    @admin.display(description=_("call"), ordering="application__call__title")
    def call(self, obj: Objection) -> str:
        return obj.application.call.title

    @admin.display(description=_("attachment"))
    def attachment_link(self, obj: Objection):
        if not obj.attachment:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("objection_attachment", args=[obj.pk]), gettext("Download"))

    @admin.display(description=_("decision"))
    def decide_link(self, obj: Objection):
        if not obj.is_open:
            return obj.get_state_display()
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:evaluation_objection_decide", args=[obj.pk]), gettext("Decide")
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="evaluation_objection_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: AuthenticatedRequest, object_id: int) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise PermissionDenied
        objection = get_object_or_404(
            Objection.objects.select_related("application__organization", "application__call", "filed_by"),
            pk=object_id,
        )
        form = ObjectionDecisionForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                objections.objection_decide(
                    actor=request.user,
                    objection=objection,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                self.message_user(request, str(error), level="error")
            else:
                self.message_user(request, gettext("The objection is decided; the applicant is told by e-mail."))
                return HttpResponseRedirect(reverse("admin:evaluation_objection_changelist"))
        try:
            ensure_may_decide(request.user, objection.application)
            refusal = ""
        except DomainError as error:
            refusal = str(error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Decide: %(objection)s") % {"objection": objection},
            "objection": objection,
            "application": objection.application,
            "form": form,
            "refusal": refusal,
            "decidable": objection.is_open,
            "history": list(objection.transitions.select_related("actor")),
            "application_url": reverse("admin:applications_application_change", args=[objection.application_id]),
        }
        response = TemplateResponse(request, "admin/evaluation/objection/decide.html", context)
        # What the applicant wrote is shown to staff: recorded in the personal-data access log.
        record_access(request, page=AccessPage.DECISION_PAGE, subject=objection)
        return response
