"""Reads of the reviewer's workbench: the queues' columns and order, the decision pages' figures.

The queue's columns are correlated subqueries, not joins with GROUP BY: they cannot multiply each
other, and the paginator's COUNT(*) drops them, so a page costs the same queries with 10 or
10,000 applications.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import BaseExpression, OrderBy
from django.db.models.functions import Coalesce

from aftercare.models import ChangeRequest
from aftercare.selectors import overdue_report_count, overdue_reports_from_earlier_calls
from allocations.services.changes import change_needs
from applications.models import Application, ApplicationItem, ClaimVerification, PriorityClaim
from pool.capacity import Need, Preview, preview


class QueueFigures(TypedDict):
    """What ``application_queue`` annotates each application with."""

    claims_verified: int
    claims_pending: int
    claims_rejected: int
    overdue_reports: int


class ChangeRequestFigures(TypedDict):
    overdue_reports: int


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    QueueRow = WithAnnotations[Application, QueueFigures]
    ChangeRequestRow = WithAnnotations[ChangeRequest, ChangeRequestFigures]

# The order a call decides its applications in (its ranks: score, then submission time), the
# newest call first, the unranked (drafts, withdrawn) after the ranked: the columns of the index
# ``application_queue_rank``, so the first page is the first rows of an index scan.
APPLICATION_QUEUE_ORDER = ("-call_id", F("rank").asc(nulls_last=True), "pk")
# Change requests: the most urgent first (the allocation that ends first).
CHANGE_REQUEST_QUEUE_ORDER = ("allocation__ends_on", "submitted_at", "pk")


def _claims(verification: str) -> Coalesce:
    """The number of the application's claims in ``verification``."""
    count = (
        PriorityClaim.objects.filter(application=OuterRef("pk"), verification=verification)
        .order_by()
        .values("application")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


def application_queue(applications: QuerySet[Application]) -> "QuerySet[QueueRow]":
    """The reviewer's queue: each application with its rank in its call, its claims at a glance
    (verified / pending / rejected) and the reports its organisation owes from earlier calls
    past their due date. (The rank and the GPUs and storage it asks for are columns, kept by
    the database.)"""
    queue = applications.annotate(
        claims_verified=_claims(ClaimVerification.VERIFIED),
        claims_pending=_claims(ClaimVerification.PENDING),
        claims_rejected=_claims(ClaimVerification.REJECTED),
        overdue_reports=overdue_reports_from_earlier_calls(),
    )
    return cast("QuerySet[QueueRow]", queue)


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters, as the admin's list filters offer them (every one optional)."""

    status: str | None = None
    offering_id: int | None = None
    claim_kind: str | None = None
    org_type: str | None = None
    region: str | None = None
    industry: str | None = None
    purpose: str | None = None
    overdue_reports: bool | None = None
    min_priority_score: int | None = None


def call_queue(call_id: int, filters: QueueFilters) -> "QuerySet[QueueRow]":
    """A call's ranked applications (submitted, wait-listed, approved, rejected: those with a
    rank) in the ranking's order, with the queue's columns (``application_queue``) and
    ``filters`` applied. Claims and offerings are matched by subqueries, never joins, so an
    application with two matching claims is listed once."""
    applications = Application.objects.filter(call_id=call_id, rank__isnull=False)
    if filters.status:
        applications = applications.filter(status=filters.status)
    if filters.offering_id is not None:
        applications = applications.filter(
            pk__in=ApplicationItem.objects.filter(offering_id=filters.offering_id).values("application_id")
        )
    if filters.claim_kind:
        applications = applications.filter(
            pk__in=PriorityClaim.objects.filter(kind=filters.claim_kind).values("application_id")
        )
    if filters.org_type:
        applications = applications.filter(organization__org_type=filters.org_type)
    if filters.region:
        applications = applications.filter(organization__region=filters.region)
    if filters.industry:
        applications = applications.filter(organization__industry=filters.industry)
    if filters.purpose:
        applications = applications.filter(purpose=filters.purpose)
    if filters.min_priority_score is not None:
        applications = applications.filter(priority_score__gte=filters.min_priority_score)
    queue = application_queue(applications.select_related("organization"))
    if filters.overdue_reports is True:
        queue = queue.filter(overdue_reports__gt=0)
    elif filters.overdue_reports is False:
        queue = queue.filter(overdue_reports=0)
    return queue.order_by("rank", "pk")


def rank_order() -> list[str | BaseExpression | OrderBy]:
    """Sorting by rank: call by call, in the ranking's own order (the kept ``rank``), the
    unranked last: the queue's own order, an index scan."""
    return list(APPLICATION_QUEUE_ORDER)


def change_request_queue(change_requests: QuerySet[ChangeRequest]) -> "QuerySet[ChangeRequestRow]":
    """The queue of extension and supplement requests, with the reports each organisation owes."""
    return cast("QuerySet[ChangeRequestRow]", change_requests.annotate(overdue_reports=overdue_report_count()))


def grant_preview(items_and_grants: list[tuple[ApplicationItem, int]]) -> list[Preview]:
    """The decision page's capacity column: per requested item, the least free units over its
    period now, and what would stay free after granting the quantity shown."""
    return preview(Need(item.offering, grant, item.starts_on, item.ends_on) for item, grant in items_and_grants)


def change_request_preview(
    change_request: ChangeRequest, *, ends_on: date | None = None, units: int | None = None
) -> Preview | None:
    """What a change request adds to the pool (default: as requested): for an extension to
    ``ends_on``, the allocation's units over the added days; for a supplement of ``units``, those
    units over the allocation's whole period. None when it adds nothing (the date is not later)."""
    allocation = change_request.allocation
    if change_request.kind == ChangeRequest.Kind.EXTENSION:
        wanted_end = ends_on or change_request.requested_ends_on or allocation.ends_on
        needs = change_needs(allocation, ends_on=wanted_end, quantity=allocation.quantity)
    else:
        added = units or change_request.requested_units or 0
        needs = change_needs(allocation, ends_on=allocation.ends_on, quantity=allocation.quantity + added)
    return preview(needs)[0] if needs else None
