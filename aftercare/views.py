from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accesslog.http import record_access
from accesslog.models import AccessPage
from accounts.http import AuthenticatedRequest
from aftercare import selectors, services
from aftercare.forms import ChangeRequestForm, ReportForm, SurveyForm, usage_summary
from aftercare.models import Report
from applications.selectors import is_member
from portal.errors import DomainError

# --- Extension and supplement requests ----------------------------------------------------------


@login_required
def change_request_new(request: AuthenticatedRequest, allocation_pk: int) -> HttpResponse:
    allocation = get_object_or_404(selectors.allocations_of_member(request.user), pk=allocation_pk)
    application_id = allocation.application_item.application_id
    form = ChangeRequestForm(
        request.POST or None, allocation=allocation, supplement_limit=services.supplement_limit(allocation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_request_submit(
                actor=request.user,
                allocation=allocation,
                kind=form.cleaned_data["kind"],
                justification=form.cleaned_data["justification"],
                ends_on=form.cleaned_data.get("ends_on"),
                units=form.cleaned_data.get("units"),
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your request is sent to the reviewers. You will be told the decision by e-mail.")
            )
            return redirect("application_detail", pk=application_id)
    return render(request, "aftercare/change_request_form.html", {"allocation": allocation, "form": form})


@login_required
@require_POST
def change_request_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    change_request = get_object_or_404(selectors.change_requests_of_member(request.user), pk=pk)
    try:
        services.change_request_withdraw(
            actor=request.user, change_request=change_request, reason=request.POST.get("reason", "")[:2000]
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The request is withdrawn."))
    return redirect("application_detail", pk=change_request.allocation.application_item.application_id)


# --- Reports ------------------------------------------------------------------------------------


@login_required
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A requested report's form for the organisation's members; once filed, the report itself."""
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    can_act = is_member(request.user, report.organization)
    # The award's usage over the report's period so far: shown beside the form, and offered as the
    # first lines of "what was done" for the applicant to keep, edit or delete.
    usage = selectors.report_usage(report)
    form = None
    if report.status == Report.Status.REQUESTED and can_act:
        form = ReportForm(
            request.POST or None, request.FILES or None, initial={"work_done": usage_summary(usage, report)}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.report_submit(
                    actor=request.user,
                    report=report,
                    work_done=form.cleaned_data["work_done"],
                    outcomes=form.cleaned_data["outcomes"],
                    publications=form.cleaned_data["publications"],
                    attachment=form.cleaned_data.get("attachment"),
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Thank you: the report is submitted."))
                return redirect("report_detail", pk=report.pk)
    elif request.method == "POST":
        messages.info(request, _("This report has already been submitted."))
        return redirect("report_detail", pk=report.pk)
    return render(
        request,
        "aftercare/report_detail.html",
        {"report": report, "form": form, "can_act": can_act, "usage": usage},
    )


@login_required
def report_attachment(request: AuthenticatedRequest, pk: int) -> FileResponse:
    report = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    if not report.attachment:
        raise Http404
    name = report.attachment.name or ""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    response = FileResponse(
        report.attachment.open("rb"), as_attachment=True, filename=f"report-{report.pk}-{report.kind}{extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    record_access(request, page=AccessPage.REPORT_ATTACHMENT, subject=report)
    return response


# --- The satisfaction survey --------------------------------------------------------------------


@login_required
def survey_answer(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(selectors.surveys_of_member(request.user), pk=pk)
    response = getattr(invitation, "response", None)
    form = None
    if response is None:
        form = SurveyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.survey_respond(
                    actor=request.user,
                    invitation=invitation,
                    ratings=form.ratings(),
                    comments=form.cleaned_data["comments"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Thank you for answering the survey."))
                return redirect("survey_answer", pk=invitation.pk)
    elif request.method == "POST":
        messages.info(request, _("Your organisation has already answered this survey."))
        return redirect("survey_answer", pk=invitation.pk)
    return render(request, "aftercare/survey_form.html", {"invitation": invitation, "response": response, "form": form})
