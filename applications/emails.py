"""E-mails about organisations and applications, rendered from templates/emails/ in each
recipient's language and recorded in the e-mail log, which delivers them (notifications/).
(The decision e-mail belongs to the decisions: ``allocations.emails``.)"""

from django.urls import reverse

from applications.models import Application, Invitation
from applications.selectors import members_to_notify
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
