from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from portal.errors import DomainError
from privacy import selectors, services
from privacy.documents import PRIVACY_VERSION, TERMS_VERSION, ConsentItem, document_template
from privacy.forms import AccountDeleteForm, NameConsentForm


def privacy_policy(request: HttpRequest) -> HttpResponse:
    """개인정보 처리방침, public."""
    return render(
        request,
        document_template("privacy_policy", translation.get_language() or "ko"),
        {"version": PRIVACY_VERSION},
    )


def terms(request: HttpRequest) -> HttpResponse:
    """이용약관, public."""
    return render(request, document_template("terms", translation.get_language() or "ko"), {"version": TERMS_VERSION})


@login_required
def consents(request: AuthenticatedRequest) -> HttpResponse:
    """내 동의 내역: each consent item, the answer last given, to which version and when; the
    optional one given (with the name) or withdrawn (the name erased) here; the required ones end
    with the account (회원 탈퇴, or an administrator for staff and evaluators)."""
    action = request.POST.get("action") if request.method == "POST" else None
    form = NameConsentForm(request.POST if action == "agree" else None)
    if action in ("agree", "withdraw") and (action == "withdraw" or form.is_valid()):
        try:
            name = form.cleaned_data["name"] if action == "agree" else ""
            recorded = services.name_consent_set(actor=request.user, agreed=action == "agree", name=name)
        except DomainError as error:
            form.add_error("name", str(error))
        else:
            if action == "agree":
                messages.success(request, _("Your consent is recorded and your name kept."))
            elif recorded is not None:  # nothing was kept nor agreed to: nothing to say
                messages.success(request, _("Your consent is withdrawn and your name erased."))
            return redirect("consents")
    current = selectors.consents_current(request.user)
    name_consent = current[ConsentItem.PRIVACY_OPTIONAL_NAME]
    return render(
        request,
        "privacy/consents.html",
        {
            "rows": [{"item": ConsentItem(item), "consent": current[item]} for item in ConsentItem.values],
            "form": form,
            "error_list": [(f"id_{field}", error) for field, errors in form.errors.items() for error in errors],
            "focus_errors": bool(form.errors),
            "name_kept": request.user.get_full_name(),
            "name_agreed": bool(name_consent and name_consent.agreed),
            "closed_by_an_administrator": selectors.closed_by_an_administrator(request.user),
            "privacy_url": reverse("privacy_policy"),
            "delete_url": reverse("account_delete"),
        },
    )


@login_required
def account_delete(request: AuthenticatedRequest) -> HttpResponse:
    """회원 탈퇴: what is erased and what stays, what must be done first, then the password again."""
    obstacles = services.account_deletion_obstacles(request.user)
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and not obstacles:
        # Wrong passwords count against allauth's re-authentication limit (a stolen session
        # cannot guess the password here at leisure).
        if not ratelimit.consume(request, action="reauthenticate", user=request.user):
            form.add_error(None, _("Too many attempts. Try again in a few minutes."))
        elif form.is_valid():
            try:
                services.account_delete(actor=request.user)
            except DomainError as error:
                form.add_error(None, str(error))
            else:
                logout(request)
                messages.success(request, _("Your account is deleted. Thank you for using the portal."))
                return redirect("home")
    return render(request, "privacy/account_delete.html", {"form": form, "obstacles": obstacles})
