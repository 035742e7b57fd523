"""Reads for e-mails: what a user was sent, what waits to be sent, the language a user chose."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
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


def queued_backlog(now: datetime | None = None) -> tuple[int, timedelta | None]:
    """How many e-mails wait to be delivered, and the age of the oldest (``None`` when none
    waits): what an operator watches to see the mail server or the worker falling behind."""
    now = now or timezone.now()
    summary = Notification.objects.filter(state=Notification.State.QUEUED).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    oldest: datetime | None = summary["oldest"]
    return summary["count"], (now - oldest if oldest else None)


def saved_language(user: User) -> str | None:
    """The language ``user`` chose (by switching the site or on their e-mail page), if any."""
    return LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
