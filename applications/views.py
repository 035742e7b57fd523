from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accesslog.http import record_access
from accesslog.models import AccessPage
from accounts.http import AuthenticatedRequest
from applications import pages, selectors, services
from applications.business_number import normalize_business_number
from applications.forms import (
    REQUIRED_TO_SUBMIT,
    ApplicationForm,
    ApplyForm,
    BaseItemFormSet,
    ClaimForm,
    DocumentsForm,
    InvitationForm,
    JoinRequestForm,
    OrganizationForm,
    WithdrawForm,
    claim_forms,
    item_formset,
    with_rows,
)
from applications.models import Application
from portal import formats
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


# The form's steps, in order: (key, title). Each is a page of its own that saves its part of the
# draft on "next", "previous" or "save"; the last shows everything before the submission.
STEPS = [
    (services.STEP_ORGANISATION, pgettext_lazy("application step", "Organisation details")),
    (services.STEP_PROJECT, pgettext_lazy("application step", "Project")),
    (services.STEP_RESOURCES, pgettext_lazy("application step", "Resources")),
    (services.STEP_PRIORITY, pgettext_lazy("application step", "Priority support")),
    (services.STEP_DOCUMENTS, pgettext_lazy("application step", "Documents")),
    (services.STEP_REVIEW, pgettext_lazy("application step", "Review and submit")),
]
STEP_KEYS = [key for key, _title in STEPS]


def _step_url(application: Application, step: str) -> str:
    if step == services.STEP_REVIEW:
        return reverse("application_review", args=[application.pk])
    return reverse("application_step", args=[application.pk, step])


def _step_context(application: Application, step: str) -> dict[str, Any]:
    index = STEP_KEYS.index(step)
    return {
        "steps": [
            {"key": key, "title": title, "url": _step_url(application, key), "number": number}
            for number, (key, title) in enumerate(STEPS, start=1)
        ],
        "step": step,
        "step_number": index + 1,
        "step_title": STEPS[index][1],
        "step_count": len(STEPS),
        "previous_step": STEP_KEYS[index - 1] if index > 0 else None,
        "next_step": STEP_KEYS[index + 1] if index + 1 < len(STEPS) else None,
    }


def _editable_or_redirect(request: AuthenticatedRequest, pk: int) -> Application | HttpResponse:
    # Members only: staff read every application but change none (a 404, like any other outsider).
    application = get_object_or_404(selectors.application_for_edit(request.user), pk=pk)
    if not application.is_editable:
        messages.info(request, _("This application has been submitted and is read-only."))
        return redirect("application_detail", pk=application.pk)
    return application


@login_required
def application_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The form's entry: its first step."""
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    return redirect("application_step", pk=found.pk, step=STEP_KEYS[0])


class _StepForms:
    """The forms of one step, bound to what was posted or showing the draft."""

    def __init__(self, application: Application, step: str, data=None, files=None):
        self.application = application
        self.step = step
        self.form: Any = None
        self.items: BaseItemFormSet | None = None
        self.claims: list[ClaimForm] = []
        if step == services.STEP_PROJECT:
            self.form = ApplicationForm(data, instance=application)
        elif step == services.STEP_RESOURCES:
            self.items = item_formset(application, data)
        elif step == services.STEP_PRIORITY:
            self.claims = claim_forms(application, data, points=selectors.call_points(application.call))
        elif step == services.STEP_DOCUMENTS:
            self.form = DocumentsForm(data, files, application=application)

    def all_forms(self) -> list[Any]:
        found = [self.form] if self.form is not None else []
        if self.items is not None:
            found += list(self.items.forms)
        return found + list(self.claims)

    def validate(self) -> bool:
        valid = all([form.is_valid() for form in self.all_forms()])
        if self.items is not None:
            valid = self.items.is_valid() and valid
        return valid

    def save(self, actor) -> None:
        """Save what is valid (services.application_update_draft); what is not stays on the page
        with its message."""
        parts: dict[str, Any] = {}
        if self.step == services.STEP_PROJECT:
            parts["fields"] = self.form.fields_to_save()
        elif self.step == services.STEP_RESOURCES and self.items is not None:
            if not self.items.management_form.is_valid():
                return
            parts["items"] = self.items.kept_items()
        elif self.step == services.STEP_PRIORITY:
            parts["claims"] = [claim for form in self.claims if (claim := form.claim_input_to_save())]
        elif self.step == services.STEP_DOCUMENTS:
            parts["certificate"], parts["evidence"] = self.form.valid_files()
        else:
            return
        services.application_update_draft(actor=actor, application=self.application, **parts)

    def errors(self) -> list[tuple[str, str]]:
        """Each problem on the page as (the field's id, the message), for the summary."""
        found: list[tuple[str, str]] = []
        if self.items is not None:
            for message in self.items.non_form_errors():
                found.append(("items", str(message)))
        rows = {id(form): number for number, form in enumerate(self.items.forms, start=1)} if self.items else {}
        for form in self.all_forms():
            for name, messages_ in form.errors.items():
                anchor = form[name].auto_id if name != NON_FIELD_ERRORS else (form.prefix or "form")
                label = _strip_mark(form.fields[name].label) if name in form.fields else ""
                if id(form) in rows:
                    # Which row: every row's fields have the same labels.
                    label = _("Requested resource %(number)s, %(field)s") % {"number": rows[id(form)], "field": label}
                for message in messages_:
                    found.append((anchor, f"{label}: {message}" if label else str(message)))
        return found

    def mark(self, problems: list[services.Problem]) -> None:
        """Show the submission's problems of this step on their fields (after "review")."""
        by_name: dict[str, Any] = {}
        for form in self.all_forms():
            for name in form.fields:
                by_name[form.add_prefix(name)] = form
        for problem in problems:
            form = by_name.get(problem.field)
            if form is None:
                continue
            name = problem.field.removeprefix(f"{form.prefix}-") if form.prefix else problem.field
            if not hasattr(form, "cleaned_data"):
                form.cleaned_data = {}
            form.errors  # noqa: B018 (an unbound form's errors: empty, ready for add_error)
            form.add_error(name, problem.message)


def _strip_mark(label: Any) -> str:
    return str(label).replace(str(REQUIRED_TO_SUBMIT), "").strip()


def _render_step(
    request: AuthenticatedRequest, application: Application, step: str, forms_: _StepForms, *, failed: bool
) -> HttpResponse:
    errors = forms_.errors()
    context = {
        "application": application,
        **_step_context(application, step),
        "forms": forms_,
        "form": forms_.form,
        "items": forms_.items,
        "claims": forms_.claims,
        "error_list": errors,
        "focus_errors": failed,
        "call_offerings": list(application.call.call_offerings.all()),
        "totals": _totals(forms_.items) if forms_.items is not None else [],
        "organization": application.organization,
        "is_owner": selectors.is_owner(request.user, application.organization)
        if step == services.STEP_ORGANISATION
        else False,
    }
    return render(request, f"applications/steps/{step}.html", context)


def _totals(items: BaseItemFormSet) -> list[tuple[str, str]]:
    """The quantities on the page added up per unit (the script keeps them current)."""
    totals: dict[str, int] = {}
    for form in items.forms:
        offering = form.chosen_offering()
        try:
            quantity = int(form["quantity"].value() or 0)
        except (TypeError, ValueError):
            continue
        if offering is not None and quantity > 0:
            unit = offering.get_unit_display()
            totals[unit] = totals.get(unit, 0) + quantity
    return [(unit, formats.figure(total)) for unit, total in totals.items()]


@login_required
def application_step(request: AuthenticatedRequest, pk: int, step: str) -> HttpResponse:
    """One step of the form. A POST saves what is valid, then goes where the button said
    (next, previous, a step of the indicator, or stays to save, add or remove a row); what is
    not valid is shown with an error summary and the page stays."""
    if step not in STEP_KEYS or step == services.STEP_REVIEW:
        raise Http404
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    application = found
    if request.method != "POST":
        forms_ = _StepForms(application, step)
        if request.GET.get("check"):
            forms_.mark([p for p in services.submission_problem_list(application) if p.step == step])
        return _render_step(request, application, step, forms_, failed=False)

    data: QueryDict = request.POST
    add_row = "add_row" in data
    remove_row = data.get("remove_row") or ""
    if step == services.STEP_RESOURCES and (add_row or remove_row):
        data = with_rows(data, add=add_row, remove=int(remove_row) if remove_row.isdigit() else None)
    forms_ = _StepForms(application, step, data, request.FILES)
    valid = forms_.validate()
    try:
        forms_.save(request.user)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("application_detail", pk=application.pk)
    # Saving may refuse a valid row (a resource asked for twice): it is then an error too.
    valid = valid and not forms_.errors()
    if step == services.STEP_DOCUMENTS and not valid:
        # The files just accepted are kept: the page names them (never asked for twice).
        saved = Application.objects.get(pk=application.pk)
        forms_.form.application, forms_.form.claims = saved, list(saved.claims.all())
        forms_.form.refresh_kept()
    if valid and remove_row:
        return redirect(_step_url(application, step))  # the rows as saved, the removed one gone
    if not valid or add_row:
        return _render_step(request, application, step, forms_, failed=not valid)
    go = data.get("go", "next")
    target = {"next": _neighbour(step, 1), "previous": _neighbour(step, -1), "save": step}.get(go)
    if target is None and go in STEP_KEYS:
        target = go
    if target == step or target is None:
        messages.success(request, _("The draft is saved."))
        return redirect(_step_url(application, step))
    return redirect(_step_url(application, target))


def _neighbour(step: str, offset: int) -> str:
    index = min(max(STEP_KEYS.index(step) + offset, 0), len(STEP_KEYS) - 1)
    return STEP_KEYS[index]


def _review(
    request: AuthenticatedRequest, application: Application, *, failed: list[services.Problem] | None
) -> HttpResponse:
    application = get_object_or_404(selectors.application_for_edit(request.user), pk=application.pk)
    problems = failed if failed is not None else services.submission_problem_list(application)
    points = selectors.call_points(application.call)
    claimed = [(claim, points.get(claim.kind, 0)) for claim in application.claims.all()]
    context = {
        "application": application,
        **_step_context(application, services.STEP_REVIEW),
        "problems": [(f"{_step_url(application, p.step)}?check=1#id_{p.field}", p.message, p.step) for p in problems],
        "error_list": [(f"{_step_url(application, p.step)}?check=1#id_{p.field}", p.message) for p in (failed or [])],
        "focus_errors": bool(failed),
        "errors_are_links": True,
        "claimed": claimed,
        "claimed_points": sum(value for _claim, value in claimed),
        "step_titles": dict(STEPS),
    }
    return render(request, "applications/steps/review.html", context)


@login_required
@require_safe
def application_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The last step: everything the draft holds, what is missing, the points claimed, and the
    submit button."""
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    return _review(request, found, failed=None)


@login_required
@require_POST
def application_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(selectors.applications_of_member(request.user), pk=pk)
    try:
        services.application_submit(actor=request.user, application=application)
    except services.ApplicationIncomplete as incomplete:
        # The review page again, its summary linking each problem to its field.
        return _review(request, application, failed=incomplete.details)
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


@login_required
def application_certificate(request: AuthenticatedRequest, pk: int) -> FileResponse:
    application = get_object_or_404(selectors.applications_visible_to(request.user), pk=pk)
    file = application.business_certificate
    response = _attachment(file, application.certificate_display_name)
    record_access(request, page=AccessPage.CERTIFICATE, subject=application)
    return response


@login_required
def claim_evidence(request: AuthenticatedRequest, pk: int) -> FileResponse:
    claim = get_object_or_404(selectors.claims_visible_to(request.user), pk=pk)
    response = _attachment(claim.evidence, claim.evidence_display_name)
    record_access(request, page=AccessPage.EVIDENCE, subject=claim)
    return response
