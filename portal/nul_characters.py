"""No text the portal is sent may hold a NUL character: one rule for every input, in front of
every view.

No address, form or text of the portal has one, and PostgreSQL refuses a NUL in a text value
(``A string literal cannot contain NUL (0x00) characters``): a NUL reaching a query is a server
error, whether a form's field let it through or a view read ``request.POST`` itself. So a
request with one is refused with a 400 before any view runs, and nothing is read or written:

- in the query string (an admin list filter given ``?status__exact=%00``);
- in a posted form, URL-encoded or multipart: every field's name and value. (Django drops
  non-printable characters from an uploaded file's name; bodies of other types are no form's,
  and the portal reads none of them as text.)

The forms' own check (Django's ``ProhibitNullCharactersValidator`` on every ``CharField``) stays
as a second line, for code that builds a form from data that did not come from a request.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

NUL = "\x00"
FORM_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _holds_nul(fields: QueryDict | MultiValueDict) -> bool:
    return any(NUL in key or any(NUL in str(value) for value in values) for key, values in fields.lists())


def _refusal(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_nul(request.GET):
            return _refusal(_("The address holds a character no address of the portal has."))
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            # Reading the form here parses it once for everything after (the CSRF check reads it
            # as well, before any view).
            if _holds_nul(request.POST):
                return _refusal(
                    _(
                        "What you sent holds a NUL character, which no text in the portal may contain. "
                        "Nothing was saved: remove it and send it again."
                    )
                )
        return self.get_response(request)
