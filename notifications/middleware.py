from django.urls import reverse

from notifications import services


class RememberLanguageMiddleware:
    """When a logged-in user switches the site's language, their e-mails follow.

    Acts only on the POST to Django's ``set_language`` view; every other request passes through
    untouched (no query).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "POST"
            and request.path == reverse("set_language")
            and response.status_code in (200, 302)
            and request.user.is_authenticated
        ):
            services.language_preference_set(user=request.user, language=request.POST.get("language", ""))
        return response
