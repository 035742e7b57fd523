"""Every change to organisations and applications goes through these functions.

Each takes a keyword-only ``actor``, checks that the actor may do it, locks what it changes,
refuses with an ``ApplicationError`` (whose message is for the user) when a rule forbids it,
records a history row for status changes and sends e-mail only after the commit.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from applications import emails, priority, regions, uploads
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    ClaimReview,
    ConflictOfInterest,
    Invitation,
    JoinRequest,
    Membership,
    Organization,
    OrganizationIdentityChange,
    PriorityClaim,
    PriorityPolicyChange,
    PriorityWeight,
)
from applications.selectors import call_points, priority_score
from pool.models import Offering
from portal import data_version, formats
from portal.errors import DomainError, NotAllowed


class ApplicationError(DomainError):
    """A rule about organisations or applications refused the action."""


class DeadlinePassed(ApplicationError):
    pass


class ApplicationIncomplete(ApplicationError):
    def __init__(self, problems: "list[Problem]"):
        super().__init__(" ".join(str(problem) for problem in problems))
        self.problems = [str(problem) for problem in problems]
        self.details = problems


@dataclass(frozen=True)
class RequestedItem:
    offering: Offering
    quantity: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class ClaimInput:
    kind: str
    details: str = ""
    relocation_target: str = ""
    relocation_planned_on: date | None = None
    evidence: "File[bytes] | None" = None


# --- Organisations ------------------------------------------------------------------------------


def _membership(actor: User, organization: Organization) -> Membership | None:
    return Membership.objects.filter(organization=organization, user=actor).first()


def _ensure_owner(actor: User, organization: Organization) -> None:
    membership = _membership(actor, organization)
    if membership is None or membership.role != Membership.Role.OWNER:
        raise NotAllowed(_("Only the organisation's owner can do this."))


@transaction.atomic
def organization_create(*, actor: User, fields: dict[str, Any]) -> Organization:
    """Create an organisation with ``actor`` as its owner. The registration number is unique."""
    try:
        with transaction.atomic():
            organization = Organization.objects.create(**fields)
    except IntegrityError:
        raise ApplicationError(
            _("An organisation with this business registration number is already registered.")
        ) from None
    Membership.objects.create(organization=organization, user=actor, role=Membership.Role.OWNER)
    data_version.changed()
    return organization


class IdentityFrozen(ApplicationError):
    """An owner tried to change an organisation's identity after a decision was made on it."""


class InvitationLimitReached(ApplicationError):
    """Too many invitations in a day, from one organisation or to one address."""


class ClaimRefused(ApplicationError):
    """A priority claim the organisation cannot make as it stands (a Gwangju claim from elsewhere)."""


class InvitationUsed(ApplicationError):
    """The invitation's token was accepted already: it lets one person join once."""


def _identity(organization: Organization) -> dict[str, str]:
    return {name: str(getattr(organization, name)) for name in Organization.IDENTITY_FIELDS}


def _describe(identity: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in identity.items())


def _save_organization(organization: Organization, fields: dict[str, Any], *, actor: User, reason: str) -> Organization:
    """Set ``fields`` on the locked ``organization``, save them, and record an identity change."""
    before = _identity(organization)
    for name, value in fields.items():
        setattr(organization, name, value)
    try:
        with transaction.atomic():
            organization.save(update_fields=list(fields))
    except IntegrityError:
        raise ApplicationError(
            _("An organisation with this business registration number is already registered.")
        ) from None
    after = _identity(organization)
    if after != before:
        OrganizationIdentityChange.objects.create(
            organization=organization, actor=actor, before=_describe(before), after=_describe(after), reason=reason
        )
    data_version.changed()
    return organization


@transaction.atomic
def organization_update(*, actor: User, organization: Organization, fields: dict[str, Any]) -> Organization:
    """The owner changes the organisation's profile.

    Its identity (legal name, registration number, type) is refused with ``IdentityFrozen``
    once an application of the organisation has been decided: the decision was made on it, and
    only staff correct it (``organization_correct_identity``). Identity changes before that are
    recorded. Idempotent.
    """
    _ensure_owner(actor, organization)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    changed_identity = [
        name
        for name in Organization.IDENTITY_FIELDS
        if name in fields and str(fields[name]) != str(getattr(organization, name))
    ]
    if changed_identity and organization.identity_is_frozen():
        raise IdentityFrozen(
            _(
                "The legal name, business registration number and type cannot be changed once an application "
                "of the organisation has been decided. Ask the portal's operator to correct them."
            )
        )
    return _save_organization(organization, fields, actor=actor, reason="")


@transaction.atomic
def organization_correct_identity(
    *, actor: User, organization: Organization, fields: dict[str, Any], reason: str
) -> Organization:
    """Staff change an organisation (the admin), its identity included even after a decision:
    the way a disputed or mistaken identity is corrected. A change of identity needs a reason
    and is recorded with it. Idempotent."""
    if not actor.has_perm("applications.change_organization"):
        raise NotAllowed(_("You may not change organisations."))
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    changes_identity = any(
        name in fields and str(fields[name]) != str(getattr(organization, name))
        for name in Organization.IDENTITY_FIELDS
    )
    if changes_identity and not reason.strip():
        raise ApplicationError(_("Say why the organisation's identity is changed."))
    return _save_organization(organization, fields, actor=actor, reason=reason.strip())


def _invitations_since(since: datetime) -> QuerySet[Invitation]:
    return Invitation.objects.filter(created_at__gte=since)


@transaction.atomic
def organization_invite(*, actor: User, organization: Organization, email: str) -> Invitation:
    """Invite ``email`` to join; the invitee follows the e-mailed link, signs up or logs in, and joins.

    Invitations are e-mails to addresses the portal does not know, so they are limited: at most
    ``INVITATIONS_PER_ORGANIZATION_PER_DAY`` from one organisation and
    ``INVITATIONS_PER_ADDRESS_PER_DAY`` to one address (from every organisation) in 24 hours,
    counted in the database under the organisation's lock; beyond them ``InvitationLimitReached``.
    """
    _ensure_owner(actor, organization)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    email = User.objects.normalize_email(email).strip()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ApplicationError(_("%(email)s is already a member.") % {"email": email})
    recent = _invitations_since(timezone.now() - timedelta(days=1))
    if recent.filter(organization=organization).count() >= settings.INVITATIONS_PER_ORGANIZATION_PER_DAY:
        raise InvitationLimitReached(
            _("The organisation has sent as many invitations as it may in a day. Try again tomorrow.")
        )
    if recent.filter(email__iexact=email).count() >= settings.INVITATIONS_PER_ADDRESS_PER_DAY:
        raise InvitationLimitReached(
            _("%(email)s has been invited as often as the portal allows in a day. Try again tomorrow.")
            % {"email": email}
        )
    invitation = Invitation.objects.create(organization=organization, email=email, invited_by=actor)
    emails.send_invitation(invitation.pk)  # recorded now, delivered after the commit
    return invitation


@transaction.atomic
def invitation_accept(*, actor: User, token: str) -> Membership:
    """Join the invitation's organisation. Only the invited address can accept, once: a used
    token is refused with ``InvitationUsed`` (a member removed since cannot re-join with it),
    except that a member of the organisation gets their membership back (a double click)."""
    invitation = Invitation.objects.select_for_update().select_related("organization").filter(token=token).first()
    if invitation is None:
        raise ApplicationError(_("This invitation is not valid or has expired. Ask the owner for a new one."))
    if invitation.is_used:
        membership = Membership.objects.filter(organization=invitation.organization, user=actor).first()
        if membership is not None:
            return membership
        raise InvitationUsed(_("This invitation has already been used. Ask the owner for a new one."))
    if invitation.is_expired:
        raise ApplicationError(_("This invitation is not valid or has expired. Ask the owner for a new one."))
    if actor.email.lower() != invitation.email.lower():
        # The invited address is not said: whoever holds the link under another account learns nothing.
        raise NotAllowed(
            _("This invitation was sent to another e-mail address. Log in with the address it was sent to.")
        )
    membership, _created = Membership.objects.get_or_create(
        organization=invitation.organization, user=actor, defaults={"role": Membership.Role.MEMBER}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def membership_make_owner(*, actor: User, membership: Membership) -> Membership:
    """An owner makes another member an owner too (the way an only owner hands over before
    leaving or deleting their account). Idempotent: an owner stays an owner."""
    _ensure_owner(actor, membership.organization)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role != Membership.Role.OWNER:
        membership.role = Membership.Role.OWNER
        membership.save(update_fields=["role"])
    return membership


# --- Join requests --------------------------------------------------------------------------------

# How many requests one person may have waiting at once: each e-mails an organisation's owners.
JOIN_REQUESTS_PENDING_PER_USER = 3
# A request's message is mailed to the owners from the portal's address: it may hold no link, or
# the portal would send anyone's phishing. A scheme, "www.", or a bare domain that mail programs
# turn into a link ("evil.example.com/login", "bit.ly/x"); an e-mail address is allowed (who the
# requester is), and so are names with a dot that are no domain ("Node.js", "ver.2").
_MESSAGE_LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://|https?:|www\.|(?<![@\w.-])(?:[a-z0-9-]+\.)+"
    r"(?:com|net|org|kr|io|co|me|ai|ly|gl|gg|to|cc|tv|info|biz|xyz|app|dev|site|online|link|live|shop|"
    r"top|club|page|tech|store|cloud|click|icu|us|uk|jp|cn|ru|de)\b(?!@|\.[a-z0-9-])",
    re.IGNORECASE,
)


def message_has_link(message: str) -> bool:
    """Whether ``message`` holds something a mail program would show as a link."""
    return _MESSAGE_LINK.search(message) is not None


# After a decline, how long before the same person may ask the same organisation again (its
# owners are not e-mailed again and again by someone they said no to).
JOIN_REQUEST_RETRY_AFTER = timedelta(days=7)


@transaction.atomic
def join_request_create(*, actor: User, registration_number: str, message: str = "") -> JoinRequest:
    """Ask to join the organisation registered under ``registration_number`` (normalised digits);
    its owners are e-mailed and decide. Idempotent: a request already waiting is returned as it is.

    Refused when no organisation has the number, when the actor is already a member, within
    ``JOIN_REQUEST_RETRY_AFTER`` of this organisation's decline of their last request, beyond
    ``JOIN_REQUESTS_PENDING_PER_USER`` requests waiting at once, and when the message holds a link.
    """
    organization = Organization.objects.select_for_update().filter(registration_number=registration_number).first()
    if organization is None:
        raise ApplicationError(
            _("No organisation is registered with this business registration number. You can register it.")
        )
    if Membership.objects.filter(organization=organization, user=actor).exists():
        raise ApplicationError(_("You are already a member of this organisation."))
    waiting = JoinRequest.objects.filter(organization=organization, user=actor, status=JoinRequest.Status.PENDING)
    if (existing := waiting.first()) is not None:
        return existing
    declined = JoinRequest.objects.filter(
        organization=organization, user=actor, status=JoinRequest.Status.DECLINED, decided_at__isnull=False
    ).aggregate(last=Max("decided_at"))["last"]
    # Counted in days, as the message says: from the day a week after the decline's, at midnight.
    again = timezone.localdate(declined) + JOIN_REQUEST_RETRY_AFTER if declined is not None else None
    if again is not None and timezone.localdate() < again:
        raise ApplicationError(
            _("This organisation declined your last request. You can ask again from %(date)s.")
            % {"date": date_format(again, "DATE_FORMAT")}
        )
    if (
        JoinRequest.objects.filter(user=actor, status=JoinRequest.Status.PENDING).count()
        >= JOIN_REQUESTS_PENDING_PER_USER
    ):
        raise ApplicationError(
            _("You have %(count)s requests waiting for an answer. Wait for them before asking again.")
            % {"count": JOIN_REQUESTS_PENDING_PER_USER}
        )
    if message_has_link(message):
        raise ApplicationError(_("Leave links out of the message; say who you are in words."))
    join_request = JoinRequest.objects.create(organization=organization, user=actor, message=message.strip())
    emails.send_join_request(join_request.pk)  # recorded now, delivered after the commit
    return join_request


def _decide_join_request(*, actor: User, join_request: JoinRequest, approve: bool) -> JoinRequest:
    _ensure_owner(actor, join_request.organization)
    join_request = (
        JoinRequest.objects.select_for_update().select_related("organization", "user").get(pk=join_request.pk)
    )
    if not join_request.is_pending:
        raise ApplicationError(_("This request has already been answered."))
    join_request.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
    join_request.decided_at = timezone.now()
    join_request.decided_by = actor
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    if approve:
        Membership.objects.get_or_create(
            organization=join_request.organization, user=join_request.user, defaults={"role": Membership.Role.MEMBER}
        )
    emails.send_join_request_decision(join_request.pk)
    return join_request


@transaction.atomic
def join_request_approve(*, actor: User, join_request: JoinRequest) -> JoinRequest:
    """An owner lets the requester in as a member; the requester is e-mailed. Only a waiting
    request can be answered."""
    return _decide_join_request(actor=actor, join_request=join_request, approve=True)


@transaction.atomic
def join_request_decline(*, actor: User, join_request: JoinRequest) -> JoinRequest:
    """An owner declines; the requester is e-mailed that the request was not accepted (not by
    whom). Only a waiting request can be answered."""
    return _decide_join_request(actor=actor, join_request=join_request, approve=False)


# --- Applications -------------------------------------------------------------------------------


def _ensure_member(actor: User, organization: Organization) -> None:
    if not Membership.objects.filter(organization=organization, user=actor).exists():
        raise NotAllowed(_("You are not a member of this organisation."))


def record_transition(
    application: Application, *, actor: User | None, from_status: str, reason: str = ""
) -> ApplicationTransition:
    """Write the history row for a status change that has just been saved."""
    data_version.changed()
    return ApplicationTransition.objects.create(
        application=application, actor=actor, from_status=from_status, to_status=application.status, reason=reason
    )


def lock_rankings(call_ids: Iterable[int]) -> None:
    """Lock the calls' rankings (their rows, ``FOR NO KEY UPDATE``, in id order) before any of
    their applications. The rank triggers take this lock to recompute a call's ranks and need
    every rank they rewrite; a service that locked an application first could hold one of them
    while it waits for the call: a deadlock. Applications join a call, never the reverse."""
    ids = sorted(set(call_ids))
    list(Call.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def _lock(application: Application, *, ranking: bool = False, member: User | None = None) -> Application:
    """Lock the application (with its call's ranking first when ``ranking``: the application
    is ranked and the change may hold it while the triggers recompute the call; a draft, which
    no recomputation rewrites, is locked alone, so drafts and submissions do not queue on the
    call before their own UPDATE). With ``member``, the change is that user's, who must be a
    member of its organisation: the statement that locks checks it (``NotAllowed`` otherwise)."""
    if ranking:
        lock_rankings([application.call_id])
    locked = Application.objects.select_for_update(of=("self",)).select_related("call", "organization")
    if member is None:
        return locked.get(pk=application.pk)
    found = locked.filter(pk=application.pk, organization__memberships__user=member).first()
    if found is None:
        raise NotAllowed(_("You are not a member of this organisation."))
    return found


@transaction.atomic
def application_start(*, actor: User, call: Call, organization: Organization) -> Application:
    """The organisation's application to ``call``: the existing one, or a new draft while the call is open.

    Idempotent: the database allows one application per organisation and call, so a double
    click or two members starting at once end on the same application.
    """
    _ensure_member(actor, organization)
    existing = Application.objects.filter(call=call, organization=organization).first()
    if existing:
        return existing
    if not call.is_open():
        raise DeadlinePassed(_("This call is not open for applications."))
    try:
        with transaction.atomic():
            application = Application.objects.create(call=call, organization=organization, created_by=actor)
    except IntegrityError:
        return Application.objects.get(call=call, organization=organization)
    record_transition(application, actor=actor, from_status="", reason="")
    return application


def kept_items(items: Sequence[RequestedItem | None]) -> tuple[list[RequestedItem], dict[int, str]]:
    """Which of a draft's rows are saved: each valid row (``None`` stands for a row that did not
    validate, or an empty one), the first of any resource requested twice. Returns the rows kept
    and, by position, why a valid row was not kept; the rows not kept stay on the applicant's
    screen with their message, and the draft keeps everything else."""
    kept: list[RequestedItem] = []
    refused: dict[int, str] = {}
    seen: set[int] = set()
    for index, item in enumerate(items):
        if item is None:
            continue
        if item.offering.pk in seen:
            refused[index] = _("Request each resource once: %(offering)s is in another row already.") % {
                "offering": item.offering.name
            }
            continue
        seen.add(item.offering.pk)
        kept.append(item)
    return kept, refused


def gwangju_claim_problem(*, organization: Organization, kind: str, details: str) -> str | None:
    """Why the organisation cannot claim "located in Gwangju" with these details, or None.

    The rule: the claim stands when the organisation's registered address is in 광주광역시
    (``regions.region_from_address``; 경기도 광주시 is not); an organisation registered elsewhere
    claims it for a branch or research lab in 광주광역시, whose address the details must give. The
    evidence for it (the branch's business registration certificate, the lab's recognition) is
    required at submission as for every claim, and the reviewer verifies it.
    """
    if kind != PriorityClaim.Kind.GWANGJU_LOCATED or organization.is_in_gwangju:
        return None
    if regions.names_a_gwangju_address(details):
        return None
    return _(
        "The organisation's address (%(address)s) is not in Gwangju Metropolitan City (광주광역시). To claim "
        "this priority for a branch or research lab in Gwangju, write its address in the details (e.g. "
        "광주광역시 북구 첨단과기로 123) and attach the branch's business registration certificate or the lab's "
        "recognition as evidence. If the organisation only plans to move to Gwangju, choose the relocation "
        "claim instead."
    ) % {"address": organization.address}


@transaction.atomic
def application_update_draft(
    *,
    actor: User,
    application: Application,
    fields: dict[str, Any] | None = None,
    items: list[RequestedItem] | None = None,
    claims: list[ClaimInput] | None = None,
    certificate: "File[bytes] | None" = None,
    evidence: dict[str, "File[bytes]"] | None = None,
) -> Application:
    """Save what the applicant has so far; a draft need not be complete, and each step of the
    form saves its own part. ``fields`` are set; ``items`` replace the requested items; ``claims``
    replace the claims (a claim ticked again keeps its evidence); ``certificate`` and ``evidence``
    (claim kind -> file, for claims the draft has) replace the files, whose original names are kept
    (sanitised, ``uploads.original_name``). A part left ``None`` is left as it is, so a step that
    fails on one field still saves the others (see ``kept_items`` for the rows).

    Refused once the application is submitted: from then on it is read-only.
    """
    application = _lock(application, member=actor)
    if not application.is_editable:
        raise NotAllowed(_("This application has been submitted and can no longer be changed."))
    fields = fields or {}
    for name, value in fields.items():
        setattr(application, name, value)
    update_fields = [*fields, "updated_at"]
    if certificate is not None:
        application.business_certificate = certificate
        application.business_certificate_name = uploads.original_name(certificate.name)
        update_fields += ["business_certificate", "business_certificate_name"]
    application.save(update_fields=update_fields)

    if items is not None:
        application.items.all().delete()
        ApplicationItem.objects.bulk_create(
            ApplicationItem(
                application=application,
                offering=item.offering,
                quantity=item.quantity,
                starts_on=item.starts_on,
                ends_on=item.ends_on,
            )
            for item in items
        )

    if claims is not None:
        # A claim as it was saved is not refused again (one saved before the rule, or before the
        # organisation's address changed, is a problem listed at submission, and the rest of the
        # draft is still saved); a new claim or new details are.
        saved = {claim.kind: claim.details for claim in application.claims.all()}
        for claim in claims:
            if saved.get(claim.kind) == claim.details:
                continue
            if problem := gwangju_claim_problem(
                organization=application.organization, kind=claim.kind, details=claim.details
            ):
                raise ClaimRefused(problem)
        kept = {claim.kind for claim in claims}
        application.claims.exclude(kind__in=kept).delete()
        for claim in claims:
            record, _created = PriorityClaim.objects.get_or_create(application=application, kind=claim.kind)
            record.details = claim.details
            record.relocation_target = claim.relocation_target
            record.relocation_planned_on = claim.relocation_planned_on
            if claim.evidence is not None:
                record.evidence = claim.evidence
                record.evidence_name = uploads.original_name(claim.evidence.name)
            record.save()
    for kind, file in (evidence or {}).items():
        claimed = PriorityClaim.objects.filter(application=application, kind=kind).first()
        if claimed is None:
            raise ApplicationError(_("Tick the claim before attaching its evidence."))
        claimed.evidence = file
        claimed.evidence_name = uploads.original_name(file.name)
        claimed.save(update_fields=["evidence", "evidence_name"])
    return application


@dataclass(frozen=True)
class Problem:
    """One thing that stands between a draft and its submission: the message, the step of the
    form where it is put right and the field there (a form field's name, with its prefix)."""

    message: str
    step: str
    field: str

    def __str__(self) -> str:
        return self.message


# The form's steps, in order (views.STEPS gives them their titles).
STEP_ORGANISATION, STEP_PROJECT, STEP_RESOURCES, STEP_PRIORITY, STEP_DOCUMENTS, STEP_REVIEW = (
    "organisation",
    "project",
    "resources",
    "priority",
    "documents",
    "review",
)


def submission_problem_list(application: Application) -> list[Problem]:
    """What stands between this draft and a complete submission, in the user's words, each with
    the step and field where it is put right. Requested items are numbered in their order on the
    form (``application.items``), as the resources step shows them."""
    problems: list[Problem] = []
    labels = {
        "purpose": _("the purpose"),
        "project_title": _("the project title"),
        "summary": _("the summary"),
        "plan": _("the plan"),
        "expected_outcome": _("the expected outcome"),
        "industry_domain": _("the industry domain"),
    }
    for name, label in labels.items():
        if not str(getattr(application, name) or "").strip():
            problems.append(Problem(_("Fill in %(field)s.") % {"field": label}, STEP_PROJECT, name))
    if not application.business_certificate:
        problems.append(
            Problem(_("Attach the business registration certificate."), STEP_DOCUMENTS, "business_certificate")
        )

    call = application.call
    limits = {co.offering_id: co.max_per_application for co in call.call_offerings.all()}
    items = list(application.items.select_related("offering"))
    if not items:
        problems.append(Problem(_("Request at least one resource."), STEP_RESOURCES, "items-0-offering"))
    for index, item in enumerate(items):
        if item.offering_id not in limits:
            problems.append(
                Problem(
                    _("%(offering)s is not offered in this call.") % {"offering": item.offering.name},
                    STEP_RESOURCES,
                    f"items-{index}-offering",
                )
            )
        elif item.quantity > limits[item.offering_id]:
            problems.append(
                Problem(
                    _("%(offering)s: at most %(max)s %(unit)s per application.")
                    % {
                        "offering": item.offering.name,
                        "max": formats.figure(limits[item.offering_id]),
                        "unit": item.offering.get_unit_display(),
                    },
                    STEP_RESOURCES,
                    f"items-{index}-quantity",
                )
            )
        if item.starts_on < call.service_starts_on or item.ends_on > call.service_ends_on:
            problems.append(
                Problem(
                    _("%(offering)s: the period must lie within the service period %(start)s – %(end)s.")
                    % {
                        "offering": item.offering.name,
                        "start": formats.day(call.service_starts_on),
                        "end": formats.day(call.service_ends_on),
                    },
                    STEP_RESOURCES,
                    f"items-{index}-starts_on",
                )
            )
    for claim in application.claims.all():
        if problem := gwangju_claim_problem(
            organization=application.organization, kind=claim.kind, details=claim.details
        ):
            problems.append(Problem(problem, STEP_PRIORITY, f"claim-{claim.kind}-details"))
        if not claim.evidence:
            problems.append(
                Problem(
                    _("Attach evidence for the claim “%(claim)s”.") % {"claim": claim.get_kind_display()},
                    STEP_DOCUMENTS,
                    f"evidence_{claim.kind}",
                )
            )
        if claim.kind == PriorityClaim.Kind.RELOCATING and not (
            claim.relocation_target and claim.relocation_planned_on
        ):
            missing = "relocation_target" if not claim.relocation_target else "relocation_planned_on"
            problems.append(
                Problem(_("Say what relocates to Gwangju and when."), STEP_PRIORITY, f"claim-{claim.kind}-{missing}")
            )
    return problems


def submission_problems(application: Application) -> list[str]:
    """What stands between this draft and a complete submission, in the user's words."""
    return [problem.message for problem in submission_problem_list(application)]


@transaction.atomic
def application_submit(*, actor: User, application: Application) -> Application:
    """Submit a complete draft before the call's deadline; afterwards it is read-only.

    The deadline is checked against the database's clock in the same UPDATE that changes the
    status, so no request that arrives late can slip through; the priority score is stored by the
    same statement. Sends a receipt after commit.
    """
    application = _lock(application, member=actor)
    if application.status != Application.Status.DRAFT:
        raise NotAllowed(_("Only a draft can be submitted."))
    if timezone.now() > application.call.deadline:
        raise DeadlinePassed(_("The deadline of this call has passed; applications are no longer accepted."))
    # Read once for the completeness check and the score.
    prefetch_related_objects([application], "claims")
    problems = submission_problem_list(application)
    if problems:
        raise ApplicationIncomplete(problems)
    score = priority_score(application)
    submitted = Application.objects.filter(
        pk=application.pk,
        status=Application.Status.DRAFT,
        call__opens_at__lte=Now(),
        call__deadline__gte=Now(),
    ).update(
        status=Application.Status.SUBMITTED,
        submitted_at=Now(),
        updated_at=Now(),
        priority_score=score.total,
        priority_pending=score.pending,
    )
    if not submitted:
        raise DeadlinePassed(_("The deadline of this call has passed; applications are no longer accepted."))
    application.refresh_from_db(fields=["status", "submitted_at", "updated_at"])
    application.priority_score, application.priority_pending = score.total, score.pending
    record_transition(application, actor=actor, from_status=Application.Status.DRAFT)
    emails.send_submission_receipt(application)  # recorded now, delivered after the commit
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, reason: str = "") -> Application:
    """Withdraw a draft or a submitted application before a decision. Not reversible."""
    # A submitted application's withdrawal re-ranks its call.
    application = _lock(application, ranking=True, member=actor)
    if not application.is_withdrawable:
        raise NotAllowed(_("A decided or withdrawn application cannot be withdrawn."))
    previous = application.status
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    record_transition(application, actor=actor, from_status=previous, reason=reason)
    return application


# --- Priority and review ------------------------------------------------------------------------


def _score(application: Application, points: dict[str, int] | None = None) -> priority.Score:
    """The application's score from its claims and its call's policy (see priority.py)."""
    points = points if points is not None else call_points(application.call)
    return priority.score(
        (
            priority.Claim(kind, verification)
            for kind, verification in application.claims.values_list("kind", "verification")
        ),
        points,
    )


def priority_recompute(application: Application, points: dict[str, int] | None = None) -> priority.Score:
    """Store the application's score from its claims and its call's policy (see priority.py)."""
    result = _score(application, points)
    Application.objects.filter(pk=application.pk).update(priority_score=result.total, priority_pending=result.pending)
    application.priority_score, application.priority_pending = result.total, result.pending
    return result


def ensure_may_decide(actor: User | None, application: Application) -> None:
    """Refuse a decision by someone without the reviewer's right, a member of the applicant
    organisation, or a reviewer who declared a conflict of interest with it. ``None`` is the
    portal itself (wait-list offers)."""
    refusal = decision_refusals(actor, [application]).get(application.pk)
    if refusal is not None:
        raise refusal


class Decided(Protocol):
    """What a reviewer decides on behalf of an organisation: an application, or a change to
    one of its allocations (``aftercare.ChangeRequest``)."""

    @property
    def pk(self) -> Any: ...

    @property
    def organization_id(self) -> int: ...


def decision_refusals(actor: User | None, decided: Sequence[Decided]) -> dict[Any, NotAllowed]:
    """``ensure_may_decide`` for many at once: the primary key of each of ``decided`` that
    ``actor`` may not decide -> why (absent when it may). One query, whatever their number, so a
    page or a preview asks once for all its rows."""
    if actor is None or not decided:
        return {}
    if not actor.has_perm("applications.decide_application"):
        refusal = NotAllowed(_("You do not have the right to decide applications."))
        return {each.pk: refusal for each in decided}
    flagged = (
        Organization.objects.filter(pk__in={each.organization_id for each in decided})
        .annotate(
            member=Exists(Membership.objects.filter(organization=OuterRef("pk"), user=actor)),
            conflicted=Exists(ConflictOfInterest.objects.filter(organization=OuterRef("pk"), reviewer=actor)),
        )
        .filter(Q(member=True) | Q(conflicted=True))
        .values_list("pk", "member")
    )
    member_of = {organization_id: member for organization_id, member in flagged}
    refusals = {}
    for each in decided:
        if each.organization_id not in member_of:
            continue
        if member_of[each.organization_id]:
            refusals[each.pk] = NotAllowed(
                _("You are a member of the applicant organisation and cannot decide its application.")
            )
        else:
            refusals[each.pk] = NotAllowed(_("You declared a conflict of interest with this organisation."))
    return refusals


@transaction.atomic
def claim_review(*, actor: User | None, claim: PriorityClaim, verdict: str, note: str = "") -> PriorityClaim:
    """Mark a claim verified or rejected (a rejection needs a note); the score follows."""
    if verdict not in (PriorityClaim.Verification.VERIFIED, PriorityClaim.Verification.REJECTED):
        raise ApplicationError(_("A claim is either verified or rejected."))
    if verdict == PriorityClaim.Verification.REJECTED and not note.strip():
        raise ApplicationError(_("Say why the claim is rejected."))
    application = _lock(claim.application, ranking=True)
    ensure_may_decide(actor, application)
    if application.status in (Application.Status.DRAFT, Application.Status.WITHDRAWN):
        raise ApplicationError(_("Claims are verified on submitted applications only."))
    claim = PriorityClaim.objects.select_for_update().get(pk=claim.pk)
    claim.verification = verdict
    claim.verification_note = note
    claim.save(update_fields=["verification", "verification_note"])
    ClaimReview.objects.create(claim=claim, actor=actor, verdict=verdict, note=note)
    priority_recompute(application)
    data_version.changed()
    return claim


@transaction.atomic
def priority_policy_set(*, actor: User | None, call: Call, points: dict[str, int]) -> bool:
    """Set the call's points per claim kind and re-score its applications.

    Effect: the weights given are stored, every application of the call gets its score under
    the new policy, and a ``PriorityPolicyChange`` records who changed what. Idempotent: points
    that leave the policy as it is change nothing and record nothing (returns False).
    """
    for kind in points:
        if kind not in PriorityClaim.Kind.values:
            raise ApplicationError(_("Unknown claim kind: %(kind)s") % {"kind": kind})
    Call.objects.select_for_update().filter(pk=call.pk).exists()
    before = call_points(call)
    if {**before, **points} == before:
        return False
    for kind, value in points.items():
        PriorityWeight.objects.update_or_create(call=call, kind=kind, defaults={"points": value})
    resolved = call_points(call)
    # Locked, so that a claim review (which locks its application) waits or is waited for.
    applications = list(
        Application.objects.filter(call=call).select_for_update(of=("self",)).order_by("pk").prefetch_related("claims")
    )
    for application in applications:
        result = priority.score((priority.Claim(c.kind, c.verification) for c in application.claims.all()), resolved)
        application.priority_score, application.priority_pending = result.total, result.pending
    Application.objects.bulk_update(applications, ["priority_score", "priority_pending"], batch_size=500)
    data_version.changed()
    PriorityPolicyChange.objects.create(
        call=call,
        actor=actor,
        before=PriorityPolicyChange.described(before),
        after=PriorityPolicyChange.described(resolved),
    )
    return True


def priority_policy_defaults(call: Call) -> None:
    """Give a call the default policy where it has no weight of its own (idempotent)."""
    for kind, value in priority.DEFAULT_POINTS.items():
        PriorityWeight.objects.get_or_create(call=call, kind=kind, defaults={"points": value})


def conflict_declare(*, actor: User, organization: Organization, note: str = "") -> ConflictOfInterest:
    """Record that ``actor`` may not decide this organisation's applications. Idempotent."""
    if not actor.is_staff:
        raise NotAllowed(_("Only the operator's staff declare conflicts of interest."))
    conflict, _created = ConflictOfInterest.objects.get_or_create(
        reviewer=actor, organization=organization, defaults={"note": note}
    )
    return conflict
