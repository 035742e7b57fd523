"""Staff sessions end after a spell of inactivity, and a fixed time after the login.

A reviewer's or operator's session approves grants and edits the capacity pool, so a browser left
open must not keep it for the two weeks an applicant's session lasts: after
``STAFF_SESSION_IDLE_MINUTES`` without a request the session is ended, and the next request meets
the login page with a message saying why. The clock starts at login and is moved on by requests,
at most once a minute (so a staff member's every click does not write the session row). The
session's own expiry is capped at twice the limit, so the session store and a "remember me"
cookie forget it too.

Requests keep moving the idle clock on, so a session in use would otherwise never end (a request
every 25 minutes kept one alive for days: OWASP ASVS 7.3.2). It also ends
``STAFF_SESSION_MAX_HOURS`` after the login, however busy it was, with its own message. A staff
session from before this limit existed (no login time recorded) starts its clock at its next
request.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

LAST_SEEN = "staff_last_seen"
LOGGED_IN_AT = "staff_logged_in_at"
# A request refreshes the clock only when it is older than this, so that the session is not
# rewritten on every request; the limit is therefore kept to within this many seconds.
REFRESH_AFTER_SECONDS = 60


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def idle_limit_seconds() -> int:
    return settings.STAFF_SESSION_IDLE_MINUTES * 60


def max_age_seconds() -> int:
    return settings.STAFF_SESSION_MAX_HOURS * 60 * 60


def _stamp(request: HttpRequest, now: float) -> None:
    request.session[LAST_SEEN] = now
    _cap_expiry(request)


def _cap_expiry(request: HttpRequest) -> None:
    # The middleware enforces the limit (and says why it logged the user out); the session store
    # and a persistent cookie ("remember me") forget the session a while later in any case. A
    # cookie that ends with the browser is left so.
    session = request.session
    if not session.get_expire_at_browser_close() and session.get_expiry_age() > 2 * idle_limit_seconds():
        session.set_expiry(2 * idle_limit_seconds())


@receiver(user_logged_in, dispatch_uid="accounts.staff_sessions.start_the_clock")
def start_the_clock(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session") and is_staff_user(user):
        now = timezone.now().timestamp()
        request.session[LOGGED_IN_AT] = now
        _stamp(request, now)


def _why_it_ended(request: HttpRequest, now: float) -> str | None:
    """Why this staff session must end now, or None while it may go on."""
    logged_in_at = request.session.get(LOGGED_IN_AT)
    if logged_in_at is not None and now - logged_in_at > max_age_seconds():
        return _(
            "You were logged out %(hours)s hours after logging in, as every staff session is. Please log in again."
        ) % {"hours": settings.STAFF_SESSION_MAX_HOURS}
    last_seen = request.session.get(LAST_SEEN)
    if last_seen is not None and now - last_seen > idle_limit_seconds():
        return _("You were logged out after %(minutes)s minutes without activity. Please log in again.") % {
            "minutes": settings.STAFF_SESSION_IDLE_MINUTES
        }
    return None


class StaffIdleTimeoutMiddleware:
    """Log out a staff user whose last request is older than the idle limit, or whose login is
    older than the maximum age (after AuthenticationMiddleware and MessageMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        now = timezone.now().timestamp()
        if is_staff_user(request.user):
            why = _why_it_ended(request, now)
            if why is not None:
                logout(request)
                messages.info(request, why)
        response = self.get_response(request)
        # A request authenticated by an API token (DRF puts it on the request as ``auth``) is no
        # session's: stamping one would save a new session row on every API call.
        if is_staff_user(request.user) and getattr(request, "auth", None) is None:
            request.session.setdefault(LOGGED_IN_AT, now)
            last_seen = request.session.get(LAST_SEEN)
            if last_seen is None or now - last_seen >= REFRESH_AFTER_SECONDS:
                _stamp(request, now)
            else:
                _cap_expiry(request)  # a login in this request may have set a longer one
        return response
