"""Personal API tokens: created (the secret shown once), revoked, their use recorded."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.second_factor import has_second_factor
from accounts.staff_sessions import is_staff_user
from api.models import Scope, Token
from portal.errors import DomainError, NotAllowed

# What a token looks like: "naidc_<prefix>_<secret>". The prefix finds the row; the whole token
# is compared by its hash.
TOKEN_MARK = "naidc"
PREFIX_BYTES = 6  # 8 characters of URL-safe base64
SECRET_BYTES = 32  # 256 bits
# The longest a token may live, and how often its "last used" time is written at most.
MAX_LIFETIME = timedelta(days=365)
LAST_USE_RESOLUTION = timedelta(minutes=1)
# The staff scope reads every organisation's applications and changes allocations: a token that
# carries it is renewed monthly, so that one copied or forgotten stops working soon.
STAFF_MAX_LIFETIME = timedelta(days=30)


class TokenError(DomainError):
    """A token could not be created or revoked as asked."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """The prefix and secret of a well-formed token, or ``None``."""
    mark, _sep, rest = token.partition("_")
    prefix, _sep, secret = rest.partition("_")
    if mark != TOKEN_MARK or not prefix or not secret or len(token) > 128:
        return None
    return prefix, secret


def scopes_allowed(user: User) -> frozenset[str]:
    """The scopes ``user`` may hold now: read and write for everyone; staff for staff accounts
    that have the second factor staff sign in with."""
    allowed = {Scope.READ.value, Scope.WRITE.value}
    if is_staff_user(user) and has_second_factor(user):
        allowed.add(Scope.STAFF.value)
    return frozenset(allowed)


def token_create(
    *, actor: User, name: str, scopes: set[str] | frozenset[str], expires_at: datetime
) -> tuple[Token, str]:
    """Create a token for ``actor`` with ``scopes`` (no wider than ``scopes_allowed``) until
    ``expires_at`` (in the future, at most ``MAX_LIFETIME`` away, ``STAFF_MAX_LIFETIME`` with the
    staff scope). Returns the row and the token,
    which is shown once and never stored. Not idempotent: each call makes a new token."""
    now = timezone.now()
    name = name.strip()
    if not name:
        raise TokenError(_("Give the token a name."))
    if not scopes:
        raise TokenError(_("Choose at least one scope."))
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise TokenError(_("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(sorted(unknown))})
    if Scope.STAFF in scopes and Scope.STAFF not in scopes_allowed(actor):
        raise NotAllowed(_("The staff scope is for staff accounts with a second factor."))
    if expires_at <= now:
        raise TokenError(_("The expiry must be in the future."))
    if expires_at > now + MAX_LIFETIME:
        raise TokenError(_("A token lives at most a year."))
    if Scope.STAFF in scopes and expires_at > now + STAFF_MAX_LIFETIME:
        raise TokenError(_("A token with the staff scope lives at most 30 days."))
    prefix = secrets.token_urlsafe(PREFIX_BYTES).replace("_", "x").replace("-", "y")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = f"{TOKEN_MARK}_{prefix}_{secret}"
    with transaction.atomic():
        row = Token.objects.create(
            user=actor,
            name=name[:100],
            prefix=prefix,
            secret_hash=token_hash(token),
            scope_read=Scope.READ in scopes,
            scope_write=Scope.WRITE in scopes,
            scope_staff=Scope.STAFF in scopes,
            created_at=now,
            expires_at=expires_at,
        )
    return row, token


def token_revoke(*, actor: User, token: Token) -> Token:
    """Revoke ``actor``'s own ``token``: it stops working at once. Idempotent (a revoked token
    keeps its first revocation time)."""
    if token.user_id != actor.pk:
        raise NotAllowed(_("This token is not yours."))
    with transaction.atomic():
        row = Token.objects.select_for_update().get(pk=token.pk)
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
    return row


def tokens_erase(*, user: User) -> None:
    """A deleted account's tokens go with it (their names are the person's words; they stopped
    working when the account was deactivated). Called by ``privacy.services.account_delete``."""
    Token.objects.filter(user=user).delete()


def token_authenticate(token: str, *, now: datetime | None = None) -> Token | None:
    """The usable token (not revoked, not expired, its user active) that ``token`` is, with its
    user, or ``None``. Records its use at most once per ``LAST_USE_RESOLUTION``: one conditional
    UPDATE a minute, not a write per request."""
    parts = split_token(token)
    if parts is None:
        return None
    now = now or timezone.now()
    row = Token.objects.select_related("user").filter(prefix=parts[0]).first()
    if row is None or not hmac.compare_digest(row.secret_hash, token_hash(token)):
        return None
    if not row.is_usable(now) or not row.user.is_active:
        return None
    if row.last_used_at is None or row.last_used_at < now - LAST_USE_RESOLUTION:
        Token.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION), pk=row.pk
        ).update(last_used_at=now)
        row.last_used_at = now
    return row


def effective_scopes(token: Token) -> frozenset[str]:
    """What ``token`` may do now: its scopes, less what its user no longer has the right to (a
    staff member who left the staff, or lost the second factor, loses the staff scope)."""
    scopes = token.scopes
    if Scope.STAFF in scopes:
        scopes = scopes & scopes_allowed(token.user)
    return scopes
