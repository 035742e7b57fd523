from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accesslog.http import record_access
from accesslog.models import AccessPage
from accounts.http import AuthenticatedRequest
from applications import pages, selectors, services
from applications.business_number import normalize_business_number
from applications.forms import (
    ApplicationForm,
    ApplyForm,
    InvitationForm,
    JoinRequestForm,
    OrganizationForm,
    WithdrawForm,
    claim_forms,
    item_formset,
)
from portal.errors import DomainError

# --- Calls ---------------------------------------------------------------------------------------


def call_list(request: HttpRequest) -> HttpResponse:
    calls = list(selectors.open_calls())
    mine = selectors.calls_with_my_application(request.user, calls)
    return render(request, "applications/call_list.html", {"calls": [(call, mine.get(call.pk)) for call in calls]})


def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.call_with_offerings(pk))
    mine = selectors.calls_with_my_application(request.user, [call]).get(call.pk)
    organizations = list(selectors.organizations_of(request.user))
    return render(
        request,
        "applications/call_detail.html",
        {
            "call": call,
            "application": mine,
            "organizations": organizations,
            "is_open": call.is_open(),
            "sections": pages.call_sections_of(call),
        },
    )


@login_required
@require_POST
def call_apply(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.published_calls(), pk=pk)
    form = ApplyForm(request.POST, organizations=selectors.organizations_of(request.user))
    if not form.is_valid():
        raise Http404
    try:
        application = services.application_start(
            actor=request.user, call=call, organization=form.cleaned_data["organization"]
        )
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("call_detail", pk=call.pk)
    return redirect("application_edit", pk=application.pk)


# --- Organisations --------------------------------------------------------------------------------


@login_required
def organization_create(request: AuthenticatedRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(actor=request.user, fields=form.cleaned_data)
        except DomainError as error:
            form.add_error("registration_number", str(error))
        else:
            messages.success(request, _("The organisation is registered. You are its owner."))
            next_url = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                return redirect(next_url)
            return redirect("organization_detail", pk=organization.pk)
    # The number is taken: the page offers to ask that organisation's owners to let the user in.
    duplicate_number = None
    if form.is_bound and "registration_number" in form.errors:
        duplicate_number = _registered_number(request.POST.get("registration_number", ""))
    return render(request, "applications/organization_form.html", {"form": form, "duplicate_number": duplicate_number})


def _registered_number(text: str) -> str | None:
    """The normalised number if an organisation is registered under it (the race the service
    reports after the form passed), else None."""
    try:
        number = normalize_business_number(text)
    except ValidationError:
        return None
    return number if selectors.organization_registered(number) else None


@login_required
@require_POST
def membership_make_owner(request: AuthenticatedRequest, pk: int, membership_pk: int) -> HttpResponse:
    """An owner makes a member an owner (then may leave, or delete their account)."""
    organization = get_object_or_404(selectors.organizations_of(request.user), pk=pk)
    membership = get_object_or_404(organization.memberships.select_related("user"), pk=membership_pk)
    try:
        services.membership_make_owner(actor=request.user, membership=membership)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(email)s is now an owner.") % {"email": membership.user.email})
    return redirect("organization_detail", pk=organization.pk)


@login_required
def join_request_create(request: AuthenticatedRequest) -> HttpResponse:
    """Ask to join the organisation registered under a business registration number."""
    form = JoinRequestForm(request.POST or None, initial={"registration_number": request.GET.get("number", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.join_request_create(
                actor=request.user,
                registration_number=form.cleaned_data["registration_number"],
                message=form.cleaned_data["message"],
            )
        except DomainError as error:
            form.add_error("registration_number", str(error))
        else:
            messages.success(
                request,
                _("Your request is sent to the organisation's owners. You will be told their answer by e-mail."),
            )
            return redirect("application_list")
    return render(request, "applications/join_request_form.html", {"form": form})


@login_required
@require_POST
def join_request_answer(request: AuthenticatedRequest, pk: int, answer: str) -> HttpResponse:
    """An owner approves or declines a request to join (the page is the organisation's)."""
    if answer not in ("approve", "decline"):
        raise Http404
    join_request = get_object_or_404(selectors.join_requests_answerable_by(request.user), pk=pk)
    decide = services.join_request_approve if answer == "approve" else services.join_request_decline
    try:
        decided = decide(actor=request.user, join_request=join_request)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if decided.status == decided.Status.APPROVED:
            messages.success(request, _("%(email)s is now a member.") % {"email": decided.user.email})
        else:
            messages.success(request, _("The request of %(email)s is declined.") % {"email": decided.user.email})
    return redirect("organization_detail", pk=join_request.organization_id)


@login_required
def organization_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(selectors.organization_for_member(request.user), pk=pk)
    memberships = list(organization.memberships.all())
    is_owner = any(m.user_id == request.user.pk and m.is_owner for m in memberships)
    return render(
        request,
        "applications/organization_detail.html",
        {
            "organization": organization,
            "memberships": memberships,
            "is_owner": is_owner,
            "invitations": [i for i in organization.invitations.all() if i.accepted_at is None],
            "invitation_form": InvitationForm(),
            "join_requests": list(selectors.pending_join_requests(organization)) if is_owner else [],
        },
    )


@login_required
def organization_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(selectors.organizations_of(request.user), pk=pk)
    if not selectors.is_owner(request.user, organization):
        raise Http404
    form = OrganizationForm(
        request.POST or None, instance=organization, identity_frozen=organization.identity_is_frozen()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_update(actor=request.user, organization=organization, fields=form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The organisation's profile is saved."))
            return redirect("organization_detail", pk=organization.pk)
    return render(request, "applications/organization_form.html", {"form": form, "organization": organization})


@login_required
@require_POST
def organization_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    organization = get_object_or_404(selectors.organizations_of(request.user), pk=pk)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            services.organization_invite(
                actor=request.user, organization=organization, email=form.cleaned_data["email"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The invitation is sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    else:
        messages.error(request, _("Enter a valid e-mail address."))
    return redirect("organization_detail", pk=organization.pk)


@login_required
def invitation_accept(request: AuthenticatedRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            membership = services.invitation_accept(actor=request.user, token=token)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(request, _("You joined %(organization)s.") % {"organization": membership.organization})
        return redirect("organization_detail", pk=membership.organization_id)
    invitation = selectors.invitation_by_token(token)
    # What the page offers: joining to the invited account; to any other, a way to switch accounts,
    # without the invited address or the organisation (the link may have reached the wrong person).
    if invitation is None or invitation.is_expired:
        state = "invalid"
    elif invitation.is_used:
        state = "member" if selectors.is_member(request.user, invitation.organization) else "used"
    elif request.user.email.lower() != invitation.email.lower():
        state = "other_account"
    else:
        state = "open"
    organization = invitation.organization if invitation is not None and state == "open" else None
    context = {"token": token, "state": state, "organization": organization}
    return render(request, "applications/invitation_accept.html", context)


# --- Applications ---------------------------------------------------------------------------------


@login_required
def application_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "applications/application_list.html",
        {
            "applications": selectors.my_applications(request.user),
            "organizations": selectors.organizations_of(request.user),
        },
    )


@login_required
def application_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.application_for_detail(request.user), pk=pk)
    problems = services.submission_problems(application) if application.is_editable else []
    # Staff may read any application here, but only its organisation's members act on it.
    can_act = selectors.is_member(request.user, application.organization)
    score = selectors.priority_score(application)
    # What the apps built on this one add (after the award: requests, reports, the survey).
    sections = pages.sections_of(application, can_act=can_act)
    response = render(
        request,
        "applications/application_detail.html",
        {
            "application": application,
            "history": selectors.application_history(application, request.user),
            "problems": problems,
            "can_act": can_act,
            "score": score,
            "sections": sections,
        },
    )
    record_access(request, page=AccessPage.APPLICATION_PAGE, subject=application)
    return response


@login_required
def application_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # Members only: staff read every application but change none (a 404, like any other outsider).
    application = get_object_or_404(selectors.application_for_edit(request.user), pk=pk)
    if not application.is_editable:
        messages.info(request, _("This application has been submitted and is read-only."))
        return redirect("application_detail", pk=application.pk)
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    form = ApplicationForm(data, files, instance=application)
    items = item_formset(application, data)
    claims = claim_forms(application, data, files)
    if request.method == "POST" and form.is_valid() and items.is_valid() and all(c.is_valid() for c in claims):
        try:
            services.application_update_draft(
                actor=request.user,
                application=application,
                fields=form.fields_to_save(),
                items=items.requested_items(),
                claims=[claim for c in claims if (claim := c.claim_input())],
                certificate=form.cleaned_data.get("business_certificate"),
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("application_detail", pk=application.pk)
        if "submit" in request.POST:
            return application_submit(request, application.pk)
        messages.success(request, _("The draft is saved."))
        return redirect("application_detail", pk=application.pk)
    return render(
        request,
        "applications/application_form.html",
        {"application": application, "form": form, "items": items, "claims": claims},
    )


@login_required
@require_POST
def application_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applications_of_member(request.user), pk=pk)
    try:
        services.application_submit(actor=request.user, application=application)
    except services.ApplicationIncomplete as incomplete:
        messages.error(request, _("The application cannot be submitted yet; the draft is kept:"))
        for problem in incomplete.problems:
            messages.error(request, problem)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your application is submitted. A receipt is on its way by e-mail."))
    return redirect("application_detail", pk=application.pk)


@login_required
@require_POST
def application_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applications_of_member(request.user), pk=pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        for error in form.errors["reason"]:
            messages.error(request, str(error))
        return redirect("application_detail", pk=application.pk)
    try:
        services.application_withdraw(actor=request.user, application=application, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The application is withdrawn."))
    return redirect("application_detail", pk=application.pk)


def _attachment(file_field, download_name: str) -> FileResponse:
    if not file_field:
        raise Http404
    response = FileResponse(file_field.open("rb"), as_attachment=True, filename=download_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _extension(file_field) -> str:
    return "." + file_field.name.rsplit(".", 1)[-1].lower() if "." in file_field.name else ""


@login_required
def application_certificate(request: AuthenticatedRequest, pk: int) -> FileResponse:
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    file = application.business_certificate
    response = _attachment(file, f"business-certificate-{application.pk}{_extension(file)}")
    record_access(request, page=AccessPage.CERTIFICATE, subject=application)
    return response


@login_required
def claim_evidence(request: AuthenticatedRequest, pk: int) -> FileResponse:
    claim = get_object_or_404(selectors.claims_visible_to(request.user), pk=pk)
    response = _attachment(claim.evidence, f"evidence-{claim.application_id}-{claim.kind}{_extension(claim.evidence)}")
    record_access(request, page=AccessPage.EVIDENCE, subject=claim)
    return response
