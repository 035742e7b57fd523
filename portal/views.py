from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

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
