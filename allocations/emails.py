"""E-mails of the allocation engine, through the e-mail log (notifications/): the decision on an
application, and reminders before the end of an allocation's service period. Each is recorded in
the transaction of the event it tells about, so it exists if and only if the event happened."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from allocations.models import Allocation, ExpiryReminder
from applications.models import Application, ApplicationItem, ApplicationTransition
from applications.selectors import members_to_notify, rank_of
from notifications.models import Notification
from notifications.services import notify

REMINDER_DAYS = (30, 7, 1)


def send_decision(
    application: Application,
    transition: ApplicationTransition,
    *,
    granted: list[tuple[ApplicationItem, int]] | None = None,
    members: list[User] | None = None,
) -> None:
    """Tell the organisation's members a decision: what was granted (``granted``: each item with
    the quantity granted of it), the rank on the wait-list, or the reason. ``members``: the
    recipients, when the caller read them for many decisions at once. Idempotent: recorded
    once per decision (its history row)."""
    rank = rank_of(application) if application.is_waitlisted else None
    quantities = {item.pk: quantity for item, quantity in granted or []}
    items = list(application.items.all()) if granted is not None else []
    lines = [(item, quantities.get(item.pk, 0)) for item in items]
    notify(
        kind=Notification.Kind.DECISION,
        template="decision",
        context={
            "application": application,
            "decision": transition.to_status,
            "reason": transition.reason,
            "granted": lines,
            "partial": any(quantity < item.quantity for item, quantity in lines),
            "rank": rank,
        },
        recipients=members if members is not None else members_to_notify(application.organization),
        organization=application.organization,
        link=reverse("application_detail", args=[application.pk]),
        key=f"decision:{transition.pk}",
    )


def send_due_expiry_reminders(today: date | None = None) -> int:
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
