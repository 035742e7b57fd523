import smtplib

from celery import shared_task
from django.conf import settings
from django.utils import translation

from applications import emails


@shared_task(
    name="applications.send_decision_email",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_decision_email(transition_id: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        emails.send_decision(transition_id)
