"""Query strings with a NUL character are refused before any view reads them.

No address the portal makes carries one, and PostgreSQL refuses to compare a text column with a
NUL: an admin list filter given one (``?status__exact=%00``) would be a server error. Forms
refuse a NUL in what they are posted with a message next to the field (Django's CharField
does); a query string has no form to show one in, so the request gets a 400."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class RefuseNulInQueryStringMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest(_("The address holds a character no address of the portal has."))
        return self.get_response(request)
