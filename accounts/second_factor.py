"""Staff sign in with a second factor (OWASP ASVS 6.3.3, level 2).

Reviewers approve grants and operators change the capacity pool: a phished or reused password
must not be enough. django-allauth's own ``allauth.mfa`` does the work (an authenticator app with
recovery codes, or a security key); this module adds the portal's rule on top of it:

- every staff account (``is_staff`` or ``is_superuser``) needs an authenticator app or a security
  key before any page opens for it but its account pages (``/accounts/``: log out, password, the
  second factor's own set-up) and the language switch: the middleware sends it to the set-up
  page, ``/accounts/2fa/``, with a message saying why. Recovery codes alone do not count (they
  are the way back in when the device is lost, made with the first authenticator);
- once it has one, allauth's login asks for a code (or the key) after the password, under the
  same failed-login limits as the password (``ACCOUNT_RATE_LIMITS["login_failed"]``);
- a staff member cannot remove the last one (the adapter refuses): a lost device is replaced by
  a recovery code, or a superuser deletes the authenticator in the admin and the staff member
  enrols again at the next login.

The apps above this one may require it of other users too (the evaluation app: its external
evaluators, who read applications before any decision) by registering a rule
(``register_second_factor_rule``): such users cannot remove their last factor either, and the
pages of that app send them to the set-up first (``set_up_first``). The middleware checks staff
alone, so an applicant's request costs no query for it.

Applicants may add a second factor from the same pages (the navigation bar links to them); for
them it is a choice.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.staff_sessions import is_staff_user

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# What counts as a second factor for the rule; recovery codes only back one of these up.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)

SET_ONE_UP_FIRST = _(
    "Staff accounts sign in with a second factor. Set up an authenticator app (or a security key) here; "
    "the administration and the dashboard open once it is set up."
)

# The views a staff member without a second factor may still use: allauth's account pages (which
# include the second factor's set-up and logging out) and Django's language switch.
OPEN_WITHOUT_SECOND_FACTOR = ("allauth.", "django.views.i18n")


# Who else needs a second factor, as the apps above this one say it (registered from their
# AppConfig.ready(): this app never imports them).
_rules: list[Callable[[Any], bool]] = []


def register_second_factor_rule(rule: Callable[[Any], bool]) -> None:
    """Require a second factor of every user for whom ``rule(user)`` is true (besides staff)."""
    if rule not in _rules:
        _rules.append(rule)


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def second_factor_required(user) -> bool:
    return is_staff_user(user) or bool(user.is_authenticated and any(rule(user) for rule in _rules))


def set_up_first(request: HttpRequest, message: "str | _StrPromise") -> HttpResponseRedirect | None:
    """The way to the set-up page, with ``message`` saying why, when ``request.user`` has no
    second factor yet; ``None`` when they have one."""
    if has_second_factor(request.user):
        return None
    messages.warning(request, message)
    return HttpResponseRedirect(reverse("mfa_index"))


class StaffSecondFactorMiddleware:
    """Send a staff user who has no second factor yet to its set-up (after AuthenticationMiddleware,
    MessageMiddleware and the staff idle timeout)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not is_staff_user(request.user):
            return None
        if getattr(view_func, "__module__", "").startswith(OPEN_WITHOUT_SECOND_FACTOR):
            return None
        return set_up_first(request, SET_ONE_UP_FIRST)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff keep at least one second factor: the last one cannot be removed (a superuser can
        delete it in the admin when a device is lost)."""
        if authenticator.type not in SECOND_FACTORS or not second_factor_required(authenticator.user):
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS).exclude(
            pk=authenticator.pk
        )
        return others.exists()
