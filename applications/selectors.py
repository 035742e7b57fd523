"""Reads, with the user's scope built in: a view that fetches through these cannot show another
organisation's data by forgetting a check."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.http import Viewer
from accounts.models import User
from applications import priority
from applications.models import (
    DECIDED_STATUSES,
    RANKED_STATUSES,
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    CallOffering,
    Invitation,
    JoinRequest,
    Membership,
    Organization,
    PriorityClaim,
)


def open_calls(at: datetime | None = None) -> QuerySet[Call]:
    at = at or timezone.now()
    return (
        Call.objects.filter(opens_at__lte=at, deadline__gte=at)
        .order_by("deadline")
        .prefetch_related(Prefetch("call_offerings", queryset=CallOffering.objects.select_related("offering")))
    )


def published_calls(at: datetime | None = None) -> QuerySet[Call]:
    """The calls the public may know of: those that have opened (open or closed since). A call
    before its opening is the operators' draft; staff see it in the admin."""
    return Call.objects.filter(opens_at__lte=at or timezone.now())


def call_with_offerings(pk: int) -> QuerySet[Call]:
    """The call's public page (and applying to it): only a call that has opened."""
    return (
        published_calls()
        .filter(pk=pk)
        .prefetch_related(Prefetch("call_offerings", queryset=CallOffering.objects.select_related("offering")))
    )


def organizations_of(user: Viewer) -> QuerySet[Organization]:
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(memberships__user=user)


def organization_for_member(user: User) -> QuerySet[Organization]:
    """Organisations the user belongs to, with members and invitations ready for the profile page."""
    return organizations_of(user).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("role", "joined_at")),
        "invitations",
    )


def members_to_notify(organization: Organization) -> list[User]:
    """The organisation's active members, who receive its e-mails, with the language each reads
    them in (one query)."""
    return members_to_notify_of([organization.pk]).get(organization.pk, [])


def owners_to_notify(organization: Organization) -> list[User]:
    """The organisation's active owners (who answer join requests), in one query."""
    return [
        membership.user
        for membership in Membership.objects.filter(
            organization=organization, role=Membership.Role.OWNER, user__is_active=True
        )
        .select_related("user__language_preference")
        .order_by("user__email")
    ]


def pending_join_requests(organization: Organization) -> QuerySet[JoinRequest]:
    """The requests to join waiting for an owner's answer, oldest first."""
    return (
        organization.join_requests.filter(status=JoinRequest.Status.PENDING)
        .select_related("user")
        .order_by("created_at")
    )


def members_to_notify_of(organization_ids: list[int]) -> dict[int, list[User]]:
    """``members_to_notify`` of many organisations at once (one query): organisation id -> members."""
    members: dict[int, list[User]] = {}
    memberships = (
        Membership.objects.filter(organization_id__in=organization_ids, user__is_active=True)
        .select_related("user__language_preference")
        .order_by("user__email")
    )
    for membership in memberships:
        members.setdefault(membership.organization_id, []).append(membership.user)
    return members


def is_member(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(organization=organization, user=user).exists()


def is_owner(user: User, organization: Organization) -> bool:
    return Membership.objects.filter(organization=organization, user=user, role=Membership.Role.OWNER).exists()


def applications_visible_to(user: Viewer) -> QuerySet[Application]:
    """Applicants see their organisations' applications; staff with the view permission see all."""
    if not user.is_authenticated:
        return Application.objects.none()
    applications = Application.objects.select_related("organization", "call")
    if user.is_staff and user.has_perm("applications.view_application"):
        return applications
    return applications.filter(organization__memberships__user=user)


def applications_of_member(user: Viewer) -> QuerySet[Application]:
    """The applications of the user's own organisations: the ones the user may change. Staff,
    who read every application, change none of them here."""
    if not user.is_authenticated:
        return Application.objects.none()
    return Application.objects.select_related("organization", "call").filter(organization__memberships__user=user)


def _with_details(applications: QuerySet[Application]) -> QuerySet[Application]:
    return applications.prefetch_related(
        Prefetch("items", queryset=ApplicationItem.objects.select_related("offering", "allocation")),
        Prefetch("claims", queryset=PriorityClaim.objects.order_by("kind")),
        Prefetch("call__call_offerings", queryset=CallOffering.objects.select_related("offering")),
    )


def application_for_detail(user: User) -> QuerySet[Application]:
    """The status page's application: its details and its history."""
    return _with_details(applications_visible_to(user)).prefetch_related(
        Prefetch("transitions", queryset=ApplicationTransition.objects.select_related("actor"))
    )


def application_for_edit(user: User) -> QuerySet[Application]:
    """The draft form's application: its details (the form shows no history)."""
    return _with_details(applications_of_member(user))


@dataclass(frozen=True)
class HistoryLine:
    """One step of an application's history as a viewer sees it: the transition, and who made it."""

    transition: ApplicationTransition
    by: str


def application_history(application: Application, viewer: User) -> list[HistoryLine]:
    """The application's transitions (prefetched by ``application_for_detail``), each with who
    made it as ``viewer`` may see it. Staff see the account. Applicants see their own members'
    steps (drafted, submitted, withdrawn) by e-mail, but what the operator's staff did (every
    decision) under the operator's name, never a staff account; the portal's own steps as the
    portal's."""
    lines = []
    for transition in application.transitions.all():
        actor = transition.actor
        if actor is not None and viewer.is_staff:
            by = actor.email
        elif actor is not None and (actor.is_staff or transition.to_status in DECIDED_STATUSES):
            by = _("AI Industry Convergence Business Group")
        elif actor is not None:
            by = actor.email
        else:
            by = _("the portal")
        lines.append(HistoryLine(transition, by))
    return lines


def my_applications(user: User) -> QuerySet[Application]:
    return (
        applications_visible_to(user)
        .filter(organization__memberships__user=user)
        .annotate(item_count=Count("items", distinct=True), claim_count=Count("claims", distinct=True))
        # What ``Application.next_step`` reads once an application is approved.
        .prefetch_related(Prefetch("items", queryset=ApplicationItem.objects.select_related("allocation")))
        .order_by("-created_at")
    )


def claims_visible_to(user: User) -> QuerySet[PriorityClaim]:
    return PriorityClaim.objects.filter(application__in=applications_visible_to(user)).select_related("application")


def calls_with_my_application(user: Viewer, calls: Iterable[Call]) -> dict[int, Application]:
    """For each call, the user's organisations' application to it (one query for all calls)."""
    if not user.is_authenticated:
        return {}
    ids = [call.pk for call in calls]
    return {
        application.call_id: application
        for application in Application.objects.filter(
            Q(call_id__in=ids) & Q(organization__memberships__user=user)
        ).select_related("organization")
    }


def ranked(applications: QuerySet[Application]) -> QuerySet[Application]:
    """Applications in the order a call decides them: by their rank, the column the database
    keeps in the ranking's order (priority score, then submission time, then id; in a call
    decided by merit evaluation, the stage reached, the final score and the merit first:
    migration 0015), the unranked last."""
    return applications.order_by(F("rank").asc(nulls_last=True), "pk")


__all__ = ["RANKED_STATUSES"]


def rank_of(application: Application) -> int | None:
    """The application's rank in its call now; None when it is not ranked (a draft, withdrawn)."""
    return Application.objects.values_list("rank", flat=True).get(pk=application.pk)


def call_points(call: Call) -> dict[str, int]:
    """The call's points per claim kind: its own weights over the defaults."""
    return priority.policy_points(call.priority_weights.values_list("kind", "points"))


def priority_score(application: Application) -> priority.Score:
    """The application's score and breakdown from its claims (prefetched or not) and its call's
    policy; what the applicant's status page and the reviewer's decision page both show."""
    return priority.score(
        (priority.Claim(claim.kind, claim.verification) for claim in application.claims.all()),
        call_points(application.call),
    )


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link names, with its organisation; None for an unknown token."""
    return Invitation.objects.select_related("organization").filter(token=token).first()


def organization_registered(registration_number: str) -> bool:
    return Organization.objects.filter(registration_number=registration_number).exists()


def join_requests_answerable_by(user: User) -> QuerySet[JoinRequest]:
    """Waiting requests to join the organisations ``user`` owns (any other id is not found)."""
    return JoinRequest.objects.filter(
        status=JoinRequest.Status.PENDING,
        organization__memberships__user=user,
        organization__memberships__role=Membership.Role.OWNER,
    ).select_related("user", "organization")
