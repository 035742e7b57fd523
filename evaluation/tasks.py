"""Celery tasks of the evaluation: thin wrappers over idempotent services."""

from celery import shared_task

from evaluation.services import reminders


@shared_task(name="evaluation.send_reminders")
def send_reminders() -> int:
    return reminders.evaluation_reminders_send()
