from django.db.models import QuerySet

from accounts.models import User
from api.models import Token


def tokens_of(user: User) -> QuerySet[Token]:
    """The user's own tokens, newest first (revoked and expired ones too, marked so)."""
    return Token.objects.filter(user=user).order_by("-created_at", "-pk")
