from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.http import AuthenticatedRequest
from portal.errors import DomainError
from privacy import services
from privacy.documents import PRIVACY_VERSION, TERMS_VERSION, document_template
from privacy.forms import AccountDeleteForm


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
