"""Celery tasks: deliver one recorded e-mail (retrying transient failures), re-drive lost ones."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from notifications import selectors, services
from notifications.models import Notification

logger = logging.getLogger(__name__)

# A mail server that is down, slow or answers 4xx: try again later. OSError covers refused
# connections, timeouts and name-resolution failures.
TRANSIENT = (smtplib.SMTPException, OSError)


@shared_task(name="notifications.deliver", bind=True, acks_late=True, reject_on_worker_lost=True)
def deliver_notification(self, notification_id: int) -> str:
    try:
        return services.notification_deliver(notification_id=notification_id).state
    except TRANSIENT as error:
        if services.is_permanent(error):
            return services.notification_fail(notification_id=notification_id, reason=str(error)).state
        # The row counts the attempts (a sweeper's fresh message included), not the message.
        attempts = Notification.objects.values_list("attempts", flat=True).get(pk=notification_id)
        if attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            return services.notification_fail(
                notification_id=notification_id, reason=f"gave up after {attempts} attempts: {error}"
            ).state
        logger.warning("delivery of notification %s failed (attempt %s): %s", notification_id, attempts, error)
        # Exponential backoff: 2, 4, 8… seconds, at most ten minutes.
        raise self.retry(exc=error, countdown=min(2**attempts, 600), max_retries=None) from error


@shared_task(name="notifications.sweep_queued")
def sweep_queued_notifications() -> int:
    stuck = list(selectors.notifications_stuck().values_list("pk", flat=True)[:1000])
    for notification_id in stuck:
        logger.info("re-driving queued notification %s", notification_id)
        deliver_notification.delay(notification_id)
    return len(stuck)
