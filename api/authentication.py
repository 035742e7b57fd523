"""Who is calling: a personal token (``Authorization: Bearer <token>``) or the site's session
(the browsable docs; DRF's ``SessionAuthentication`` enforces CSRF on unsafe methods)."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import Token
from api.services import token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer naidc_…``: ``request.auth`` is the ``api.models.Token``."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be 'Bearer <token>'."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid, has expired or was revoked."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes an unauthenticated request a 401 (with this challenge), not a 403.
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The site's session, with CSRF enforced on unsafe methods (DRF's own)."""


def bears_a_usable_token(request: HttpRequest) -> bool:
    """Whether the request carries a usable personal token (for the upload limit, which may run
    before any view)."""
    header = authentication.get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() != BearerTokenAuthentication.keyword.lower().encode():
        return False
    try:
        return token_authenticate(header[1].decode("ascii")) is not None
    except UnicodeDecodeError:
        return False


def token_of(request: Request) -> Token | None:
    return request.auth if isinstance(request.auth, Token) else None
