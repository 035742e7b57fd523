"""E-mails about organisations and applications, rendered from templates/emails/."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from applications.models import Application, ApplicationTransition, Invitation


def _send(template: str, context: dict, recipients: list[str]) -> None:
    context = {**context, "site_url": settings.SITE_URL}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    body = render_to_string(f"emails/{template}.txt", context)
    send_mail(subject, body, None, recipients)


def send_invitation(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("organization", "invited_by").get(pk=invitation_id)
    link = settings.SITE_URL + reverse("invitation_accept", args=[invitation.token])
    _send("invitation", {"invitation": invitation, "link": link}, [invitation.email])


def send_submission_receipt(application_id: int) -> None:
    application = Application.objects.select_related("organization", "call").get(pk=application_id)
    recipients = list(application.organization.members.values_list("email", flat=True))
    link = settings.SITE_URL + reverse("application_detail", args=[application.pk])
    _send("submission_receipt", {"application": application, "link": link}, recipients)


def send_decision(transition_id: int) -> None:
    """Tell the organisation's members a decision: what was granted, the rank, or the reason."""
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
        "link": settings.SITE_URL + reverse("application_detail", args=[application.pk]),
    }
    recipients = list(application.organization.members.values_list("email", flat=True))
    if recipients:
        _send("decision", context, recipients)
