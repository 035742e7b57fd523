"""E-mails after the award, to the organisation's members, through the e-mail log.

Each function is called inside the transaction of the event it tells about, so the e-mail is
recorded if and only if the event happened.
"""

from django.urls import reverse

from aftercare.models import ChangeRequest, Report, SurveyInvitation
from applications.selectors import members_to_notify
from notifications.models import Notification
from notifications.services import notify


def change_request_received(change_request: ChangeRequest) -> None:
    allocation = change_request.allocation
    notify(
        kind=Notification.Kind.CHANGE_REQUEST_RECEIVED,
        template="change_request_received",
        context={"change_request": change_request, "allocation": allocation},
        recipients=members_to_notify(change_request.organization),
        organization=change_request.organization,
        link=reverse("application_detail", args=[allocation.application_item.application_id]),
        key=f"change_request_received:{change_request.pk}",
    )


def change_request_decided(change_request: ChangeRequest, reason: str) -> None:
    allocation = change_request.allocation
    notify(
        kind=Notification.Kind.CHANGE_REQUEST_DECISION,
        template="change_request_decision",
        context={"change_request": change_request, "allocation": allocation, "reason": reason},
        recipients=members_to_notify(change_request.organization),
        organization=change_request.organization,
        link=reverse("application_detail", args=[allocation.application_item.application_id]),
        key=f"change_request_decision:{change_request.pk}",
    )


REPORT_STAGE_KINDS = {
    "requested": Notification.Kind.REPORT_REQUESTED,
    "due_soon": Notification.Kind.REPORT_REMINDER,
    "overdue": Notification.Kind.REPORT_OVERDUE,
}


def report_stage(report: Report, stage: str) -> None:
    """The report is asked for, due in a week, or overdue."""
    notify(
        kind=REPORT_STAGE_KINDS[stage],
        template=f"report_{stage}",
        context={"report": report, "application": report.application},
        recipients=members_to_notify(report.organization),
        organization=report.organization,
        link=reverse("report_detail", args=[report.pk]),
        key=f"report:{report.pk}:{stage}",
    )


def survey_invitation(invitation: SurveyInvitation, *, reminder: bool = False) -> None:
    notify(
        kind=Notification.Kind.SURVEY_REMINDER if reminder else Notification.Kind.SURVEY_INVITATION,
        template="survey_reminder" if reminder else "survey_invitation",
        context={"invitation": invitation, "application": invitation.application, "call": invitation.call},
        recipients=members_to_notify(invitation.organization),
        organization=invitation.organization,
        link=reverse("survey_answer", args=[invitation.pk]),
        key=f"survey:{invitation.pk}:{'reminder' if reminder else 'invitation'}",
    )
