"""The evaluator's site (평가위원): the invitation, the confidentiality pledge, the assigned
applications and their scoring; and the applicant's objection. Every evaluator page goes through
``evaluator_required``: an active evaluator's own profile, a second factor, the pledge accepted.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accesslog.http import record_access
from accesslog.models import AccessPage
from accounts.http import AuthenticatedRequest
from accounts.second_factor import SECOND_FACTORS, set_up_first
from applications.selectors import applications_of_member
from evaluation import site_selectors
from evaluation.forms import ConflictForm, DeclineForm, ObjectionForm, PledgeForm, ScoringForm
from evaluation.models import Evaluator
from evaluation.services import declarations, invitations, objections, pledges, scoring
from portal.errors import DomainError

SET_ONE_UP_FIRST = gettext_lazy(
    "Evaluators sign in with a second factor. Set up an authenticator app (or a security key) here; "
    "the applications assigned to you open once it is set up."
)


class EvaluatorRequest(AuthenticatedRequest):
    evaluator: Evaluator


def evaluator_required(view: Callable[..., HttpResponseBase] | None = None, *, pledge_first: bool = True) -> Any:
    """An evaluator page: the user's active evaluator profile (404 for anyone else), a second
    factor (sent to its set-up otherwise), and, unless ``pledge_first`` is off, the
    confidentiality pledge accepted (sent to it otherwise). Checked on every request."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_required
        @wraps(view)
        def wrapped(request: EvaluatorRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # One query for the profile and whether a second factor is set up.
            evaluator = (
                Evaluator.objects.filter(user=request.user, is_active=True)
                .annotate(
                    has_second_factor=Exists(
                        Authenticator.objects.filter(user_id=OuterRef("user_id"), type__in=SECOND_FACTORS)
                    )
                )
                .first()
            )
            if evaluator is None:
                raise Http404
            if not evaluator.has_second_factor and (to_set_up := set_up_first(request, SET_ONE_UP_FIRST)):
                return to_set_up
            if pledge_first and not evaluator.has_accepted_pledge:
                messages.info(request, _("Please read and accept the confidentiality pledge first."))
                return redirect("evaluation_pledge")
            request.evaluator = evaluator
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def _download(file_field, name: str) -> FileResponse:
    if not file_field:
        raise Http404
    extension = "." + file_field.name.rsplit(".", 1)[-1].lower() if "." in file_field.name else ""
    response = FileResponse(file_field.open("rb"), as_attachment=True, filename=f"{name}{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Joining ------------------------------------------------------------------------------------


@login_required
def invitation_accept(request: AuthenticatedRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            invitations.evaluator_invitation_accept(actor=request.user, token=token)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(request, _("Welcome: you are now an evaluator of the portal."))
        return redirect("evaluation_assignments")
    return render(request, "evaluation/invitation_accept.html", {"token": token})


@evaluator_required(pledge_first=False)
def pledge(request: EvaluatorRequest) -> HttpResponse:
    evaluator = request.evaluator
    form = PledgeForm(request.POST or None)
    if request.method == "POST" and not evaluator.has_accepted_pledge and form.is_valid():
        pledges.pledge_accept(actor=request.user, evaluator=evaluator)
        messages.success(request, _("Thank you: the confidentiality pledge is accepted."))
        return redirect("evaluation_assignments")
    return render(request, "evaluation/pledge.html", {"evaluator": evaluator, "form": form})


# --- Scoring ------------------------------------------------------------------------------------


@evaluator_required
def assignment_list(request: EvaluatorRequest) -> HttpResponse:
    return render(
        request,
        "evaluation/assignment_list.html",
        {"evaluator": request.evaluator, "assignments": site_selectors.assignment_list(request.user)},
    )


@evaluator_required
def assignment_detail(request: EvaluatorRequest, pk: int) -> HttpResponse:
    """The scoring page: the application, the rubric with the evaluator's own scores; saving
    keeps a draft, submitting makes them final (then the page is read-only)."""
    assignment = get_object_or_404(site_selectors.assignment_for_scoring(request.user), pk=pk)
    lines = site_selectors.rubric_lines(assignment)
    form = ScoringForm(request.POST or None, lines=lines, scale=assignment.stage.scale)
    if request.method == "POST":
        if not assignment.is_open:
            messages.info(request, _("The scores are submitted and can no longer be changed."))
            return redirect("evaluation_assignment", pk=assignment.pk)
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                if submit:
                    scoring.assignment_submit(actor=request.user, assignment=assignment, scores=form.scores())
                else:
                    scoring.scores_save(actor=request.user, assignment=assignment, scores=form.scores())
            except scoring.ScoreProblems as error:
                form.add_error(None, str(error))
                form.show_problems(error.problems)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                if submit:
                    messages.success(request, _("Thank you: your scores are submitted."))
                    return redirect("evaluation_assignments")
                messages.success(request, _("Your scores are saved. Submit them before the deadline."))
                return redirect("evaluation_assignment", pk=assignment.pk)
    return render(
        request,
        "evaluation/assignment_detail.html",
        {
            "assignment": assignment,
            "application": assignment.application,
            "form": form,
            "conflict_form": ConflictForm(),
            "decline_form": DeclineForm(),
        },
    )


@evaluator_required
@require_POST
def assignment_conflict(request: EvaluatorRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(site_selectors.evaluator_assignments(request.user), pk=pk)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the kind of conflict and say what it is."))
        return redirect("evaluation_assignment", pk=assignment.pk)
    try:
        declarations.conflict_declare(
            actor=request.user,
            assignment=assignment,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("evaluation_assignment", pk=assignment.pk)
    messages.success(request, _("The conflict of interest is recorded: the application is taken off your list."))
    return redirect("evaluation_assignments")


@evaluator_required
@require_POST
def assignment_decline(request: EvaluatorRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(site_selectors.evaluator_assignments(request.user), pk=pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you decline."))
        return redirect("evaluation_assignment", pk=assignment.pk)
    try:
        declarations.assignment_decline(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("evaluation_assignment", pk=assignment.pk)
    messages.success(request, _("You declined the evaluation: the application is taken off your list."))
    return redirect("evaluation_assignments")


@evaluator_required
def assignment_certificate(request: EvaluatorRequest, pk: int) -> FileResponse:
    assignment = get_object_or_404(
        site_selectors.evaluator_assignments(request.user).select_related("application"), pk=pk
    )
    application = assignment.application
    response = _download(application.business_certificate, f"business-certificate-{application.pk}")
    record_access(request, page=AccessPage.CERTIFICATE, subject=application)
    return response


@evaluator_required
def assignment_evidence(request: EvaluatorRequest, pk: int, claim_pk: int) -> FileResponse:
    assignment = get_object_or_404(site_selectors.evaluator_assignments(request.user), pk=pk)
    claim = get_object_or_404(assignment.application.claims.all(), pk=claim_pk)
    response = _download(claim.evidence, f"evidence-{claim.application_id}-{claim.kind}")
    record_access(request, page=AccessPage.EVIDENCE, subject=claim)
    return response


# --- The applicant's objection ------------------------------------------------------------------


@login_required
def objection_file(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(applications_of_member(request.user).select_related("call", "organization"), pk=pk)
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            objections.objection_file(
                actor=request.user,
                application=application,
                reason=form.cleaned_data["reason"],
                attachment=form.cleaned_data.get("attachment"),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your objection is filed. You will be told the decision by e-mail."))
            return redirect("application_detail", pk=application.pk)
    return render(request, "evaluation/objection_form.html", {"application": application, "form": form})


@login_required
def objection_attachment(request: AuthenticatedRequest, pk: int) -> FileResponse:
    objection = get_object_or_404(site_selectors.objections_visible_to(request.user), pk=pk)
    response = _download(objection.attachment, f"objection-{objection.application_id}")
    record_access(request, page=AccessPage.EVIDENCE, subject=objection, description="objection attachment")
    return response
