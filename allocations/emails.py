"""E-mails about allocations: reminders before the end of the service period."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from allocations.models import Allocation, ExpiryReminder
from notifications.models import Notification
from notifications.selectors import members_to_notify
from notifications.services import notify

REMINDER_DAYS = (30, 7, 1)


def send_due_expiry_reminders(today=None) -> int:
    """Send each reminder due today (30, 7 and 1 days before the end) once per allocation.

    Idempotent: the reminder's row is written before the e-mail goes out, under a uniqueness
    constraint, so a second run (or a concurrent one) sends nothing more.
    """
    today = today or timezone.localdate()
    sent = 0
    for days_before in REMINDER_DAYS:
        due = Allocation.objects.filter(
            state=Allocation.State.ACTIVE, ends_on=today + timedelta(days=days_before)
        ).select_related("offering", "organization", "application_item__application__call")
        for allocation in due:
            try:
                with transaction.atomic():
                    ExpiryReminder.objects.create(allocation=allocation, days_before=days_before)
                    _send_expiry_reminder(allocation, days_before)
            except IntegrityError:
                continue
            sent += 1
    return sent


def _send_expiry_reminder(allocation: Allocation, days_before: int) -> None:
    # Recorded in the reminder's transaction; the e-mail log delivers it after the commit.
    application = allocation.application_item.application
    notify(
        kind=Notification.Kind.EXPIRY_REMINDER,
        template="expiry_reminder",
        context={"allocation": allocation, "days_before": days_before},
        recipients=members_to_notify(allocation.organization),
        organization=allocation.organization,
        link=reverse("application_detail", args=[application.pk]),
    )
