import logging
import sys
from functools import wraps

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.views import defaults

from applications import selectors


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"open_calls": selectors.open_calls()})


def admin_login_takes_no_credentials(admin_login):
    """Wrap the admin's login view so that a logged-in staff member is sent to the admin and the
    view never checks a password: Django's admin login form would authenticate whatever account
    is posted to it, past the site's failed-login limits. Anonymous visitors never reach it
    (``secure_admin_login`` sends them to the site's login); applicants are refused there."""

    @wraps(admin_login)
    def view(request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.user.is_authenticated and request.user.is_staff and request.user.is_active:
            return HttpResponseRedirect(reverse("admin:index"))
        return admin_login(request, extra_context)

    return view


logger = logging.getLogger(__name__)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the portal's page, in the visitor's language, with the ways back, instead
    of Django's English one. The reason stays in the log (django.security.csrf), not on the page."""
    return render(request, "403_csrf.html", status=403)


# What the 503 page asks the visitor to wait, and the Retry-After header it sends.
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a database that cannot be reached (restarting, failing over, the network)
    answers 503 with a page that says so and when to try again; anything else is Django's 500.

    Called while the exception is being handled (``sys.exc_info()`` names it). The 503 page is
    rendered without the request's context processors: they would ask the database again.
    """
    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    logger.error("the database is unreachable; answering 503: %s", error)
    page = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
