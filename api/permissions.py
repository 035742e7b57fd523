"""What a caller may do with what it authenticated with.

A token holds scopes (read / write / staff); a session holds every scope its user may hold
(``api.services.scopes_allowed``). Applicant endpoints use ``ApplicantScope`` (read for safe
methods, write for the others); staff endpoints ``StaffScope`` (staff, plus write for unsafe
methods). Whether the user may see *this* object is the selectors' business (their querysets
are scoped to the user: another organisation's object is a 404), and whether they may *do* it
is the services' (a ``NotAllowed``).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

from api.authentication import token_of
from api.models import Scope
from api.services import effective_scopes, scopes_allowed


def scopes_of(request: Request) -> frozenset[str]:
    """The scopes of this request: the token's (less what its user lost), or the session user's."""
    if not (request.user and request.user.is_authenticated):
        return frozenset()
    token = token_of(request)
    if token is not None:
        return effective_scopes(token)
    return scopes_allowed(request.user)


class ApplicantScope(permissions.IsAuthenticated):
    """Logged in; ``read`` to read, ``write`` to change."""

    message = _("This token's scopes do not allow it (reading needs 'read', changing needs 'write').")

    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        needed = Scope.READ if request.method in permissions.SAFE_METHODS else Scope.WRITE
        return needed in scopes_of(request)


class StaffScope(permissions.IsAuthenticated):
    """A staff account (with its second factor) through the ``staff`` scope; ``write`` as well
    to change anything. The staff role's own permissions (reviewers decide, operators run the
    pool) are checked by the view with ``user.has_perm`` and by the services."""

    message = _("This needs a token with the 'staff' scope of a staff account (and 'write' to change anything).")

    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        scopes = scopes_of(request)
        if Scope.STAFF not in scopes:
            return False
        return request.method in permissions.SAFE_METHODS or Scope.WRITE in scopes
