"""Reads for e-mails: what a user was sent, what waits to be sent, the language a user chose."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from notifications.models import LanguagePreference, Notification


def notifications_of(user: User) -> QuerySet[Notification]:
    """The e-mails sent to ``user``: addressed to the account, or to its address before the
    account existed (an invitation)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(Q(user=user) | Q(user__isnull=True, recipient=user.email)).order_by(
        "-created_at", "-pk"
    )


def notifications_stuck(now: datetime | None = None) -> QuerySet[Notification]:
    """Queued e-mails with no delivery attempt for longer than the longest retry backoff: their
    task's message was lost (broker down, worker killed)."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.NOTIFICATION_STUCK_AFTER_SECONDS)
    return Notification.objects.annotate(last_touched=Coalesce("last_attempt_at", "created_at")).filter(
        state=Notification.State.QUEUED, last_touched__lt=threshold
    )


def saved_language(user: User) -> str | None:
    """The language ``user`` chose (by switching the site or on their e-mail page), if any."""
    return LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
