from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.urls import reverse
from django.utils import translation

from notifications import selectors, services

# Where the login puts the user's saved language until the browser has the language cookie.
SESSION_LANGUAGE_KEY = "portal_language"


@receiver(user_logged_in, dispatch_uid="notifications.remember_language_at_login")
def _language_at_login(sender, request, user, **kwargs):
    """A user who chose a language sees the site in it on any browser they log in from."""
    if request is None or not hasattr(request, "session"):
        return
    language = selectors.saved_language(user)
    if language:
        request.session[SESSION_LANGUAGE_KEY] = language


class RememberLanguageMiddleware:
    """The site's language follows the user, and their e-mails follow the site's language.

    - When a logged-in user switches the site's language (the POST to Django's ``set_language``),
      it is saved as their preference, so their e-mails follow.
    - After a login, the saved preference (read once, at login) becomes the browser's language
      cookie, unless the browser already chose one: Korean by default, the user's choice once
      made, on every device.

    Other requests pass through untouched (no query).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookie = settings.LANGUAGE_COOKIE_NAME
        adopted = None
        if cookie not in request.COOKIES and hasattr(request, "session"):
            adopted = request.session.get(SESSION_LANGUAGE_KEY)
            if adopted:
                translation.activate(adopted)
                request.LANGUAGE_CODE = adopted
        response = self.get_response(request)
        if adopted and cookie not in response.cookies:
            response.set_cookie(
                cookie,
                adopted,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        if (
            request.method == "POST"
            and request.path == reverse("set_language")
            and response.status_code in (200, 302)
            and request.user.is_authenticated
        ):
            services.language_preference_set(user=request.user, language=request.POST.get("language", ""))
        return response
