"""Inviting evaluators from the admin: the invitations' list, and an "invite an evaluator" form
(the add page) that calls ``services.invitations.evaluator_invite``: nothing is written here but
through the service."""

from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext

from accounts.http import AuthenticatedRequest
from evaluation.forms import InvitationForm
from evaluation.models import EvaluatorInvitation
from evaluation.services import invitations
from portal.errors import DomainError


@admin.register(EvaluatorInvitation)
class EvaluatorInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "affiliation", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["invited_by"]
    search_fields = ["email", "name", "affiliation"]
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False
    # The token is the invitee's secret: never shown.
    fields = readonly_fields = (
        "email",
        "name",
        "affiliation",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "evaluator",
    )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request: HttpRequest, form_url="", extra_context=None) -> HttpResponse:
        """The invitation form: the service sends the e-mail; the list shows the invitation."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InvitationForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                invitations.evaluator_invite(
                    actor=cast(AuthenticatedRequest, request).user,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    affiliation=form.cleaned_data["affiliation"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    gettext("The invitation is sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:evaluation_evaluatorinvitation_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Invite an evaluator"),
            "form": form,
        }
        return TemplateResponse(request, "admin/evaluation/evaluatorinvitation/invite.html", context)
