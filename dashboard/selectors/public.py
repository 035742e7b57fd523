"""The public statistics' own figures: every call that has opened with its submissions and
selections, and the selected organisations that consented to be named (with their project's
title where the application consented to that too). Nothing personal, nothing unconsented."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from applications.models import Application, Call
from applications.selectors import RANKED_STATUSES, published_calls


@dataclass(frozen=True)
class CallFigures:
    call: Call
    submitted: int
    selected: int


def public_call_figures() -> list[CallFigures]:
    """Every call that has opened, with its submitted and selected applications: one query.
    A call before its opening is not public yet."""
    calls = (
        published_calls()
        .annotate(
            submitted=Count("applications", filter=Q(applications__status__in=RANKED_STATUSES)),
            selected=Count("applications", filter=Q(applications__status=Application.Status.APPROVED)),
        )
        .order_by("-opens_at", "-pk")
    )
    return [CallFigures(call, call.submitted, call.selected) for call in calls]


def listed_selections() -> QuerySet[Application]:
    """Selected applications of organisations that consented to be named publicly. The project
    title is theirs to publish or not: show it only where ``title_listed_publicly``."""
    return (
        Application.objects.filter(status=Application.Status.APPROVED, organization__listed_publicly=True)
        .select_related("organization", "call")
        .only(
            "pk",
            "project_title",
            "title_listed_publicly",
            "call__title",
            "call__opens_at",
            "organization__legal_name",
            "organization__region",
            "organization__industry",
        )
        .order_by("-call__opens_at", "organization__legal_name")
    )
