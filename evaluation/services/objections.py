"""Objections (이의신청): after the decision on an evaluated call, the applicant organisation may
object to the evaluation once, within the call's objection period, with a reason and optionally
an attachment (checked like evidence). A reviewer decides it with a written reason: the
application is evaluated again, or the result is upheld. Each step has a history row and is
e-mailed to the organisation's members in the step's transaction.
"""

from datetime import datetime, timedelta

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from applications.models import DECIDED_STATUSES, Application, ApplicationTransition, Membership
from applications.selectors import members_to_notify
from applications.services import ensure_may_decide
from evaluation.models import CallEvaluation, Objection, ObjectionTransition
from notifications.models import Notification
from notifications.services import notify
from portal import formats
from portal.errors import DomainError, NotAllowed

REASON_LIMIT = 10_000
# Reviewers have it (accounts/roles.py); they must also be free to decide the application.
DECIDE_PERMISSION = "evaluation.decide_objection"
OUTCOMES = (Objection.State.REEVALUATION, Objection.State.UPHELD)


class ObjectionError(DomainError):
    """The objection cannot be filed or decided; ``str(error)`` says why."""


def decided_at(application: Application) -> datetime | None:
    """When the application was last decided (approved, wait-listed or rejected), or None."""
    return (
        ApplicationTransition.objects.filter(application=application, to_status__in=DECIDED_STATUSES)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )


def objection_deadline(application: Application, policy: CallEvaluation | None) -> datetime | None:
    """The end of the application's objection period: the decision plus the call's objection
    days; None when the call is not evaluated or the application not decided."""
    if policy is None or not policy.is_evaluated or application.status not in DECIDED_STATUSES:
        return None
    decided = decided_at(application)
    if decided is None:
        return None
    return decided + timedelta(days=policy.objection_days)


def _policy(application: Application) -> CallEvaluation | None:
    return CallEvaluation.objects.filter(call_id=application.call_id).first()


def _record(objection: Objection, *, actor: User | None, from_state: str, reason: str = "") -> None:
    ObjectionTransition.objects.create(
        objection=objection, actor=actor, from_state=from_state, to_state=objection.state, reason=reason
    )


@transaction.atomic
def objection_file(
    *, actor: User, application: Application, reason: str, attachment: "File[bytes] | None" = None
) -> Objection:
    """File the organisation's objection to the evaluation of ``application``.

    Precondition: the actor is a member of the organisation; the call is evaluated and the
    application decided; the objection period has not ended; no objection was filed for it
    before (held by a database constraint: once per application, whoever files). The members
    are e-mailed a receipt."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "organization")
        .get(pk=application.pk)
    )
    if not Membership.objects.filter(organization_id=application.organization_id, user=actor).exists():
        raise NotAllowed(_("You are not a member of this organisation."))
    deadline = objection_deadline(application, _policy(application))
    if deadline is None:
        raise ObjectionError(_("An objection can be filed only against the decision on an evaluated call."))
    if timezone.now() > deadline:
        raise ObjectionError(_("The objection period ended on %(deadline)s.") % {"deadline": formats.moment(deadline)})
    reason = reason.strip()[:REASON_LIMIT]
    if not reason:
        raise ObjectionError(_("Explain what you object to and why."))
    try:
        with transaction.atomic():
            objection = Objection.objects.create(
                application=application, filed_by=actor, reason=reason, attachment=attachment or ""
            )
    except IntegrityError:
        raise ObjectionError(_("An objection has already been filed for this application.")) from None
    _record(objection, actor=actor, from_state="")
    _tell(objection, application, template="objection_received", kind=Notification.Kind.OBJECTION_RECEIVED)
    return objection


@transaction.atomic
def objection_decide(*, actor: User, objection: Objection, outcome: str, reason: str) -> Objection:
    """Decide a filed objection: ``outcome`` is re-evaluation or upheld, with a written reason,
    e-mailed to the members. Precondition: the actor may decide the application (a reviewer,
    not a member of the organisation, no declared conflict); the objection is not decided yet."""
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("application__call", "application__organization")
        .get(pk=objection.pk)
    )
    application = objection.application
    if not actor.has_perm(DECIDE_PERMISSION):
        raise NotAllowed(_("You may not decide objections."))
    ensure_may_decide(actor, application)
    if not objection.is_open:
        raise ObjectionError(_("This objection has already been decided."))
    if outcome not in OUTCOMES:
        raise ObjectionError(_("Choose re-evaluation or upheld."))
    reason = reason.strip()[:REASON_LIMIT]
    if not reason:
        raise ObjectionError(_("Write the reason for the decision: the applicant reads it."))
    objection.state = outcome
    objection.decided_by = actor
    objection.decided_at = timezone.now()
    objection.decision_reason = reason
    objection.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    _record(objection, actor=actor, from_state=Objection.State.FILED, reason=reason)
    _tell(objection, application, template="objection_decision", kind=Notification.Kind.OBJECTION_DECISION)
    return objection


def _tell(objection: Objection, application: Application, *, template: str, kind: str) -> None:
    notify(
        kind=kind,
        template=template,
        context={
            "objection": objection,
            "application": application,
            "reevaluation": objection.state == Objection.State.REEVALUATION,
        },
        recipients=members_to_notify(application.organization),
        organization=application.organization,
        link=reverse("application_detail", args=[application.pk]),
        key=f"{template}:{objection.pk}",
    )
