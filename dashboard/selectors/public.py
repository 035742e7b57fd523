"""The public statistics' own figures: every call with its submissions and selections, and the
selected organisations that consented to be named. Nothing personal, nothing unconsented."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from applications.models import Application, Call
from applications.selectors import RANKED_STATUSES


@dataclass(frozen=True)
class CallFigures:
    call: Call
    submitted: int
    selected: int


def public_call_figures() -> list[CallFigures]:
    """Every call with its submitted and selected applications: one query."""
    calls = Call.objects.annotate(
        submitted=Count("applications", filter=Q(applications__status__in=RANKED_STATUSES)),
        selected=Count("applications", filter=Q(applications__status=Application.Status.APPROVED)),
    ).order_by("-opens_at", "-pk")
    return [CallFigures(call, call.submitted, call.selected) for call in calls]


def listed_selections() -> QuerySet[Application]:
    """Selected applications of organisations that consented to be named publicly."""
    return (
        Application.objects.filter(status=Application.Status.APPROVED, organization__listed_publicly=True)
        .select_related("organization", "call")
        .only(
            "pk",
            "project_title",
            "call__title",
            "call__opens_at",
            "organization__legal_name",
            "organization__region",
            "organization__industry",
        )
        .order_by("-call__opens_at", "organization__legal_name")
    )
