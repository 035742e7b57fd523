"""Celery tasks of the outbox: publish what the commit-time publish could not."""

from celery import shared_task

from outbox import services


@shared_task(name="outbox.relay", ignore_result=True)
def relay() -> int:
    return services.outbox_relay()
