"""The page the problem types point to, and the 404 of an unknown address under /api/."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

# The problem types the API answers with, beside each HTTP status's own (its slug is the status's
# code in words: not-found, permission-denied…): the page lists them all.
TYPES = [
    ("invalid", _("Some fields are not valid: the errors member lists them, keyed by field.")),
    ("not-authenticated", _("No credentials: send Authorization: Bearer <token>.")),
    ("authentication-failed", _("The token is not valid, has expired or was revoked.")),
    ("permission-denied", _("The token's scopes or the user's rights do not allow it.")),
    ("not-allowed", _("A rule of the portal does not let this user do this.")),
    ("not-found", _("No such object among those this user may see.")),
    ("method-not-allowed", _("This address does not take this method.")),
    ("not-acceptable", _("The API answers in JSON only.")),
    ("unsupported-media-type", _("Send JSON, or multipart/form-data for files.")),
    ("precondition-failed", _("The object changed since you read it: read it again and repeat.")),
    ("precondition-required", _("Send If-Match with the ETag you read.")),
    ("throttled", _("Too many requests: wait the seconds Retry-After says.")),
    (
        "…",
        _(
            "Any other slug names the rule of the portal that refused (deadline-passed, application-incomplete, "
            "does-not-fit…): the detail says why, and nothing has changed."
        ),
    ),
]


def problem_types(request: HttpRequest) -> HttpResponse:
    """The page a problem's ``type`` URI names (``…/api/problems/#<slug>``)."""
    return render(request, "api/problem_types.html", {"types": TYPES})


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def not_found(request: Request) -> HttpResponse:
    raise NotFound()
