"""Celery tasks after the award: thin wrappers over idempotent services (see services.py)."""

from celery import shared_task

from aftercare import services


@shared_task(name="aftercare.request_reports")
def request_reports() -> int:
    return len(services.reports_request_due())


@shared_task(name="aftercare.send_report_reminders")
def send_report_reminders() -> int:
    return services.report_reminders_send()


@shared_task(name="aftercare.invite_to_surveys")
def invite_to_surveys() -> int:
    return len(services.surveys_invite_due()) + services.survey_reminders_send()
