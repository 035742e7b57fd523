"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API has the same shape::

    {"type": "https://portal.example.kr/api/problems/#not-found",
     "title": "찾을 수 없습니다", "status": 404,
     "detail": "…", "instance": "/api/v1/applications/12/",
     "errors": {"quantity": ["…"]}}          # field errors, keyed by field (400 only)

in the caller's language (``Accept-Language``: Korean unless English is asked for; Django's
``LocaleMiddleware`` activates it). DRF's own exceptions, Django's ``Http404``/
``PermissionDenied``/``ValidationError`` and the domain's errors (``portal.errors.DomainError``)
all go through ``exception_handler``. A domain error is a 409 (the rule refused in the object's
present state) unless registered otherwise with ``register``; ``NotAllowed`` is a 403.

To give a domain error its own type, status or extra members (``DoesNotFit``'s shortfalls)::

    problems.register(DoesNotFit, status=409, slug="does-not-fit",
                      extensions=lambda error: {"shortfalls": [...]})
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from portal.errors import DomainError, NotAllowed

PROBLEM_JSON = "application/problem+json"

# The title of each status, in the caller's language.
TITLES: dict[int, Any] = {
    400: _("The request is not valid"),
    401: _("Authentication needed"),
    403: _("Not allowed"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Refused in the present state"),
    412: _("Precondition failed"),
    413: _("Request too large"),
    415: _("Unsupported media type"),
    428: _("Precondition required"),
    429: _("Too many requests"),
    500: _("Server error"),
}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The object has changed since you read it (its ETag differs from If-Match). Read it again.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of the object you read, so that no one else's change is lost.")
    default_code = "precondition_required"


@dataclass(frozen=True)
class DomainProblem:
    status: int
    slug: str
    extensions: Callable[[Any], dict[str, Any]] | None = None


_registry: dict[type[DomainError], DomainProblem] = {}


def register(
    error: type[DomainError],
    *,
    status: int,
    slug: str | None = None,
    extensions: Callable[[Any], dict[str, Any]] | None = None,
) -> None:
    """Answer ``error`` (and its subclasses, unless registered themselves) with ``status``,
    the type ``…/api/problems/#<slug>`` and ``extensions(error)``'s members."""
    _registry[error] = DomainProblem(status, slug or slug_of(error), extensions)


def slug_of(error: type[Exception]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", error.__name__).lower()


def type_uri(slug: str) -> str:
    return f"{settings.SITE_URL}/api/problems/#{slug}"


def problem(
    *,
    status: int,
    slug: str,
    detail: Any,
    instance: str,
    errors: Any = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": type_uri(slug),
        "title": str(TITLES.get(status, _("Error"))),
        "status": status,
        "detail": str(detail),
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extensions)
    return Response(body, status=status, headers=headers, content_type=PROBLEM_JSON)


def _domain_problem(error: DomainError) -> DomainProblem:
    for cls in type(error).__mro__:
        if cls in _registry:
            return _registry[cls]
    if isinstance(error, NotAllowed):
        return DomainProblem(403, "not-allowed")
    return DomainProblem(409, slug_of(type(error)))


def _as_text(errors: Any) -> Any:
    """DRF's ``ErrorDetail`` strings as plain strings, at any depth."""
    if isinstance(errors, dict):
        return {key: _as_text(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [_as_text(value) for value in errors]
    return str(errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: every known error as problem details; anything else
    (a bug) is left to Django's 500."""
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))

    if isinstance(exc, DomainError):
        set_rollback()
        known = _domain_problem(exc)
        extra = known.extensions(exc) if known.extensions else {}
        return problem(status=known.status, slug=known.slug, detail=exc, instance=instance, **extra)

    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()

    if isinstance(exc, exceptions.ValidationError):
        errors = _as_text(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        return problem(
            status=400,
            slug="invalid",
            detail=_("Some fields are not valid; see errors."),
            instance=instance,
            errors=errors,
            headers=headers,
        )
    detail = exc.detail if not isinstance(exc.detail, (list, dict)) else exc.default_detail
    if isinstance(exc, exceptions.Throttled):
        detail = _("Too many requests from this token. Try again in %(seconds)s seconds.") % {
            "seconds": int(exc.wait or 1)
        }
    return problem(
        status=exc.status_code,
        slug=getattr(exc, "default_code", "error").replace("_", "-"),
        detail=detail,
        instance=instance,
        headers=headers,
    )
