"""Celery tasks of usage metering: thin edges over the services (``RetryLater`` becomes a retry)."""

from celery import shared_task

from metering import emails, services
from portal.errors import RetryLater


@shared_task(name="metering.collect_due_usage", bind=True, acks_late=True, ignore_result=True)
def collect_due_usage(self) -> int:
    try:
        return len(services.usage_collect_due(attempt=self.request.retries + 1))
    except RetryLater as later:
        raise self.retry(exc=later, countdown=later.countdown, max_retries=None) from later


@shared_task(name="metering.send_usage_notices", acks_late=True, ignore_result=True)
def send_usage_notices() -> int:
    return emails.send_usage_notices()
