"""E-mails about organisations and applications, rendered from templates/emails/ in each
recipient's language and recorded in the e-mail log, which delivers them (notifications/)."""

from django.urls import reverse

from applications.models import Application, ApplicationTransition, Invitation
from notifications.models import Notification
from notifications.selectors import members_to_notify
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
    )


def send_submission_receipt(application_id: int) -> None:
    application = Application.objects.select_related("organization", "call").get(pk=application_id)
    notify(
        kind=Notification.Kind.SUBMISSION_RECEIPT,
        template="submission_receipt",
        context={"application": application},
        recipients=members_to_notify(application.organization),
        organization=application.organization,
        link=reverse("application_detail", args=[application.pk]),
        key=f"submission_receipt:{application.pk}",
    )


def send_decision(transition_id: int) -> None:
    """Tell the organisation's members a decision: what was granted, the rank, or the reason.

    Idempotent: recorded once per decision (the task that calls it may run twice)."""
    from applications.selectors import with_rank

    transition = ApplicationTransition.objects.select_related("application").get(pk=transition_id)
    application = with_rank(Application.objects.select_related("organization", "call")).get(
        pk=transition.application_id
    )
    items = list(application.items.select_related("offering", "allocation").order_by("pk"))
    granted = [(item, getattr(item, "allocation", None)) for item in items]
    context = {
        "application": application,
        "decision": transition.to_status,
        "reason": transition.reason,
        "granted": granted,
        "partial": any(allocation is None or allocation.quantity < item.quantity for item, allocation in granted),
    }
    notify(
        kind=Notification.Kind.DECISION,
        template="decision",
        context=context,
        recipients=members_to_notify(application.organization),
        organization=application.organization,
        link=reverse("application_detail", args=[application.pk]),
        key=f"decision:{transition.pk}",
    )
