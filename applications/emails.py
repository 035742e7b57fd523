"""E-mails about organisations and applications, rendered from templates/emails/ in each
recipient's language and recorded in the e-mail log, which delivers them (notifications/).
(The decision e-mail belongs to the decisions: ``allocations.emails``.)"""

from django.urls import reverse

from applications.models import Application, Invitation, JoinRequest
from applications.selectors import members_to_notify, owners_to_notify
from notifications.models import Notification
from notifications.services import notify


def send_invitation(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("organization", "invited_by").get(pk=invitation_id)
    notify(
        kind=Notification.Kind.INVITATION,
        template="invitation",
        context={"invitation": invitation},
        recipients=[invitation.email],
        organization=invitation.organization,
        link=reverse("invitation_accept", args=[invitation.token]),
        key=f"invitation:{invitation.pk}",
        secret=True,  # the link's token lets its holder join: the e-mail log never shows it
    )


def send_submission_receipt(application: Application) -> None:
    """The receipt of a submitted ``application`` (its organisation and call selected with it)."""
    notify(
        kind=Notification.Kind.SUBMISSION_RECEIPT,
        template="submission_receipt",
        context={"application": application},
        recipients=members_to_notify(application.organization),
        organization=application.organization,
        link=reverse("application_detail", args=[application.pk]),
        key=f"submission_receipt:{application.pk}",
    )


def send_join_request(join_request_id: int) -> None:
    """To the organisation's owners: someone asks to join; the request is answered on its page."""
    join_request = JoinRequest.objects.select_related("organization", "user").get(pk=join_request_id)
    notify(
        kind=Notification.Kind.JOIN_REQUEST,
        template="join_request",
        context={"join_request": join_request},
        recipients=owners_to_notify(join_request.organization),
        organization=join_request.organization,
        link=reverse("organization_detail", args=[join_request.organization_id]),
        key=f"join_request:{join_request.pk}",
    )


def send_join_request_decision(join_request_id: int) -> None:
    """To the requester: the owners' answer (never who answered)."""
    join_request = JoinRequest.objects.select_related("organization", "user").get(pk=join_request_id)
    approved = join_request.status == JoinRequest.Status.APPROVED
    notify(
        kind=Notification.Kind.JOIN_REQUEST,
        template="join_request_decision",
        context={"join_request": join_request, "approved": approved},
        recipients=[join_request.user],
        # Declined: the e-mail is not listed with the organisation (its name is not the requester's to know).
        organization=join_request.organization if approved else None,
        link=reverse("organization_detail", args=[join_request.organization_id]) if approved else "",
        key=f"join_request_decision:{join_request.pk}",
    )
