"""Celery tasks of the e-mail log: deliver one recorded e-mail, re-drive the ones whose message
was lost. Thin: the services decide when to retry and when to give up."""

import logging

from celery import shared_task

from notifications import selectors, services
from outbox.services import enqueue_on_commit
from portal.errors import RetryLater

logger = logging.getLogger(__name__)


@shared_task(name=services.DELIVER, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_notification(self, notification_id: int) -> str:
    try:
        return services.notification_deliver(notification_id=notification_id).state
    except RetryLater as later:
        raise self.retry(exc=later, countdown=later.countdown, max_retries=None) from later


@shared_task(name="notifications.sweep_queued")
def sweep_queued_notifications() -> int:
    stuck = list(selectors.notifications_stuck().values_list("pk", flat=True)[:1000])
    for notification_id in stuck:
        logger.info("re-driving queued notification %s", notification_id)
        enqueue_on_commit(services.DELIVER, notification_id)
    return len(stuck)
