"""Evaluators (평가위원) join by invitation: a reviewer invites an expert by e-mail, the invitee
signs up (or logs in) with that address through the verified-e-mail flow and accepts, which
makes their ``Evaluator`` profile.

An invitation is a secret link valid for ``INVITATION_VALID_FOR`` and accepted once, by the
invited address only (as an organisation's invitation, ``applications.services``). Evaluators are
external experts, never staff: a staff account cannot accept.
"""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.staff_sessions import is_staff_user
from evaluation.models import Evaluator, EvaluatorInvitation
from notifications.models import Notification
from notifications.services import notify
from portal import formats
from portal.errors import DomainError, NotAllowed

INVITATION_VALID_FOR = timedelta(days=14)
# Who may invite: reviewers (the Reviewers group has it, accounts/roles.py) and superusers.
INVITE_PERMISSION = "evaluation.add_evaluatorinvitation"


class InvitationError(DomainError):
    """The invitation cannot be sent or accepted; ``str(error)`` says why."""


def _email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


@transaction.atomic
def evaluator_invite(*, actor: User, email: str, name: str, affiliation: str = "") -> EvaluatorInvitation:
    """Invite ``email`` to serve as an evaluator and e-mail the link (after the commit).

    Precondition: the actor may invite (``INVITE_PERMISSION``); the address is no evaluator yet
    and holds no invitation still valid (a second one is refused, so that one address is never
    sent several live links). Not idempotent: each call is one invitation.
    """
    if not actor.has_perm(INVITE_PERMISSION):
        raise NotAllowed(_("You may not invite evaluators."))
    email = User.objects.normalize_email(email).strip()
    name = name.strip()
    if not email or "@" not in email:
        raise InvitationError(_("Enter a valid e-mail address."))
    if not name:
        raise InvitationError(_("Enter the evaluator's name."))
    if Evaluator.objects.filter(user__email__iexact=email, is_active=True).exists():
        raise InvitationError(_("%(email)s is already an evaluator.") % {"email": email})
    # The address's invitations, locked: two reviewers inviting it at once send one link.
    pending = (
        EvaluatorInvitation.objects.select_for_update()
        .filter(email__iexact=email, accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if pending is not None:
        raise InvitationError(
            _("%(email)s already holds an invitation, valid until %(until)s.")
            % {"email": email, "until": formats.moment(pending.expires_at)}
        )
    invitation = EvaluatorInvitation.objects.create(
        email=email,
        name=name,
        affiliation=affiliation.strip(),
        token=secrets.token_urlsafe(32),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    notify(
        kind=Notification.Kind.EVALUATOR_INVITATION,
        template="evaluator_invitation",
        context={"invitation": invitation},
        recipients=[email],
        link=reverse("evaluator_invitation_accept", args=[invitation.token]),
        key=f"evaluator_invitation:{invitation.pk}",
        secret=True,
    )
    return invitation


def _invalid() -> InvitationError:
    return InvitationError(_("This invitation is not valid or has expired. Ask the operator for a new one."))


@transaction.atomic
def evaluator_invitation_accept(*, actor: User, token: str) -> Evaluator:
    """Accept the invitation of ``token``: the actor becomes an evaluator (their profile is made,
    or an earlier one made active again); their conflicts are found when they are assigned.

    Only the invited address accepts, once, before it expires; accepting a used invitation again
    returns the actor's own profile (a double click). Staff cannot be evaluators.
    """
    invitation = EvaluatorInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None:
        raise _invalid()
    if invitation.is_used:
        evaluator = Evaluator.objects.filter(pk=invitation.evaluator_id or 0, user=actor).first()
        if evaluator is not None:
            return evaluator
        raise InvitationError(_("This invitation has already been used. Ask the operator for a new one."))
    if invitation.is_expired:
        raise _invalid()
    if actor.email.lower() != invitation.email.lower():
        raise NotAllowed(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.")
            % {"email": invitation.email}
        )
    if is_staff_user(actor):
        raise NotAllowed(_("Staff accounts cannot serve as evaluators: accept with an account of your own."))
    try:
        with transaction.atomic():
            evaluator, created = Evaluator.objects.select_for_update().get_or_create(
                user=actor,
                defaults={
                    "name": invitation.name,
                    "affiliation": invitation.affiliation,
                    "email_domain": _email_domain(actor.email),
                    "invited_by": invitation.invited_by,
                },
            )
    except IntegrityError:  # accepted at the same moment in another tab
        evaluator, created = Evaluator.objects.select_for_update().get(user=actor), False
    if not created:
        evaluator.is_active = True
        evaluator.email_domain = _email_domain(actor.email)
        evaluator.save(update_fields=["is_active", "email_domain"])
    invitation.accepted_at = timezone.now()
    invitation.evaluator = evaluator
    invitation.save(update_fields=["accepted_at", "evaluator"])
    return evaluator


def is_evaluator(user: User) -> bool:
    """The second factor's rule for evaluators (registered in ``evaluation.apps``)."""
    return Evaluator.objects.filter(user_id=user.pk, is_active=True).exists()
