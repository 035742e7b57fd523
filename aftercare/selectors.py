"""Reads after the award, with the user's scope built in, and the figures operators watch."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Aggregate, Avg, Count, IntegerField, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise

from accounts.models import User
from aftercare.models import ChangeRequest, Report, SurveyInvitation, SurveyResponse
from allocations.models import HOLDING_STATES, Allocation
from allocations.usage import IN_SERVICE_STATES
from applications.models import Application, Call
from metering.selectors import Utilisation, utilisation

# --- Scopes -------------------------------------------------------------------------------------


def allocations_of_member(user: User) -> QuerySet[Allocation]:
    """Allocations of the user's organisations (the ones a member may ask to change)."""
    if not user.is_authenticated:
        return Allocation.objects.none()
    return Allocation.objects.filter(organization__memberships__user=user).select_related(
        "offering", "organization", "application_item__application__call"
    )


def change_requests_of_member(user: User) -> QuerySet[ChangeRequest]:
    if not user.is_authenticated:
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.filter(organization__memberships__user=user).select_related(
        "allocation__offering", "allocation__application_item"
    )


def reports_visible_to(user: User) -> QuerySet[Report]:
    """Members see their organisations' reports; staff with the view permission see all."""
    if not user.is_authenticated:
        return Report.objects.none()
    reports = Report.objects.select_related("application__call", "organization", "submitted_by")
    if user.is_staff and user.has_perm("aftercare.view_report"):
        return reports
    return reports.filter(organization__memberships__user=user)


def surveys_of_member(user: User) -> QuerySet[SurveyInvitation]:
    if not user.is_authenticated:
        return SurveyInvitation.objects.none()
    return SurveyInvitation.objects.filter(organization__memberships__user=user).select_related(
        "application", "call", "organization", "response__submitted_by"
    )


# --- The applicant's view of an award -----------------------------------------------------------


@dataclass
class Aftercare:
    """What follows the award on the application's page: requests, reports, the survey."""

    change_requests: list[ChangeRequest] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    survey: SurveyInvitation | None = None
    open_request_allocations: set[int] = field(default_factory=set)
    today: date | None = None

    @property
    def shown(self) -> bool:
        return bool(self.change_requests or self.reports or self.survey)


def aftercare_for_application(application: Application) -> Aftercare:
    """Change requests, reports and the survey of one application, in three queries."""
    if not application.is_approved:
        return Aftercare()
    change_requests = list(
        ChangeRequest.objects.filter(allocation__application_item__application=application)
        .select_related("allocation__offering")
        .order_by("-submitted_at", "-pk")
    )
    reports = list(Report.objects.filter(application=application).order_by("due_on", "pk"))
    survey = SurveyInvitation.objects.filter(application=application).select_related("response").first()
    return Aftercare(
        change_requests=change_requests,
        reports=reports,
        survey=survey,
        open_request_allocations={
            request.allocation_id for request in change_requests if request.status == ChangeRequest.Status.SUBMITTED
        },
        today=timezone.localdate(),
    )


def aftercare_section(application: Application, can_act: bool) -> Aftercare | None:
    """The "after the award" section of the application's page: shown when there is something
    to show, or to the members of an approved application (who may ask for a change)."""
    aftercare = aftercare_for_application(application)
    if aftercare.shown or (application.is_approved and can_act):
        return aftercare
    return None


# --- Usage in the reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportUsage:
    """What one allocation of a report's award used of its grant over the report's period, up to
    the day the report is read (on the days collected)."""

    allocation: Allocation
    utilisation: Utilisation

    @property
    def rate(self) -> Decimal | None:
        """used ÷ granted, in per cent (one decimal); None when nothing was granted yet."""
        ratio = self.utilisation.ratio
        return None if ratio is None else (ratio * 100).quantize(Decimal("0.1"))

    @property
    def units_in_use(self) -> Decimal | None:
        """The units in use on an average day: quantity × used ÷ granted."""
        ratio = self.utilisation.ratio
        return None if ratio is None else (self.allocation.quantity * ratio).quantize(Decimal("0.1"))


def report_usage(report: Report, today: date | None = None) -> list[ReportUsage]:
    """The usage of the report's award: each allocation that was in service, over the report's
    period up to yesterday (the last day that has ended, the latest a source can have collected).
    Three queries."""
    today = today or timezone.localdate()
    allocations = list(
        Allocation.objects.filter(application_item__application_id=report.application_id, state__in=IN_SERVICE_STATES)
        .select_related("offering")
        .order_by("offering__kind", "offering__name", "pk")
    )
    end = min(report.period_ends_on, today - timedelta(days=1))
    if not allocations or end < report.period_starts_on:
        return []
    figures = utilisation([allocation.pk for allocation in allocations], report.period_starts_on, end)
    return [ReportUsage(allocation, figures[allocation.pk]) for allocation in allocations if allocation.pk in figures]


# --- Awards, for the beat jobs ------------------------------------------------------------------


class AwardFigures(TypedDict):
    award_starts_on: date | None
    award_ends_on: date | None
    running: int
    holding: int


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    Award = WithAnnotations[Application, AwardFigures]


def awards() -> "QuerySet[Award]":
    """Approved applications with the period their allocations ran (``award_starts_on``,
    ``award_ends_on``: over active and expired allocations), how many are ``running`` (active)
    and how many still ``holding`` capacity."""
    ran = Q(items__allocation__state__in=[Allocation.State.ACTIVE, Allocation.State.EXPIRED])
    awarded = Application.objects.filter(status=Application.Status.APPROVED).annotate(
        award_starts_on=Min("items__allocation__starts_on", filter=ran),
        award_ends_on=Max("items__allocation__ends_on", filter=ran),
        running=Count("items__allocation", filter=Q(items__allocation__state=Allocation.State.ACTIVE)),
        holding=Count("items__allocation", filter=Q(items__allocation__state__in=HOLDING_STATES)),
    )
    return cast("QuerySet[Award]", awarded)


# --- Overdue reports, for the reviewer's queue --------------------------------------------------


def overdue_reports(today: date | None = None) -> QuerySet[Report]:
    today = today or timezone.localdate()
    return Report.objects.filter(status=Report.Status.REQUESTED, due_on__lt=today)


def overdue_reports_from_earlier_calls(today: date | None = None) -> Coalesce:
    """For a queryset of applications: how many reports the application's organisation owes
    from other calls, past their due date. A correlated subquery: one query for the page."""
    count = (
        overdue_reports(today)
        .filter(organization=OuterRef("organization"))
        .exclude(application__call=OuterRef("call"))
        .order_by()
        .values("organization")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)


def overdue_reports_of(organization_id: int, *, except_call_id: int | None = None) -> list[Report]:
    reports = overdue_reports().filter(organization_id=organization_id).select_related("application__call")
    if except_call_id is not None:
        reports = reports.exclude(application__call_id=except_call_id)
    return list(reports.order_by("due_on"))


# --- Survey results, for the operator's dashboard -----------------------------------------------


@dataclass(frozen=True)
class QuestionSummary:
    field: str
    question: str | Promise
    answers: int  # responses that rated this area (not "did not use")
    average: float | None
    distribution: tuple[int, int, int, int, int]  # answers rating 1, 2, 3, 4, 5


@dataclass(frozen=True)
class SurveySummary:
    call: Call | None
    invited: int
    responses: int
    with_comments: int
    questions: list[QuestionSummary]

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invited if self.invited else None


def survey_summary(call: Call | None = None) -> SurveySummary:
    """Per question: how many rated it, the average (computed by the database) and how the
    ratings spread from 1 to 5; with how many were invited and answered. One query: the
    invitations joined to their responses (every response answers one invitation)."""
    invitations = SurveyInvitation.objects.all()
    if call is not None:
        invitations = invitations.filter(call=call)
    answered = Q(response__isnull=False)
    aggregates: dict[str, Aggregate] = {
        "invited": Count("pk"),
        "responses": Count("pk", filter=answered),
        "with_comments": Count("pk", filter=answered & ~Q(response__comments="")),
    }
    for name, _question in SurveyResponse.QUESTIONS:
        aggregates[f"{name}__count"] = Count(f"response__{name}")
        aggregates[f"{name}__avg"] = Avg(f"response__{name}")
        for score in range(1, 6):
            aggregates[f"{name}__{score}"] = Count("pk", filter=Q(**{f"response__{name}": score}))
    figures = invitations.aggregate(**aggregates)
    questions = [
        QuestionSummary(
            field=name,
            question=question,
            answers=figures[f"{name}__count"],
            average=float(figures[f"{name}__avg"]) if figures[f"{name}__avg"] is not None else None,
            distribution=tuple(figures[f"{name}__{score}"] for score in range(1, 6)),
        )
        for name, question in SurveyResponse.QUESTIONS
    ]
    return SurveySummary(
        call=call,
        invited=figures["invited"],
        responses=figures["responses"],
        with_comments=figures["with_comments"],
        questions=questions,
    )


def overdue_report_count() -> Coalesce:
    """For a queryset with an ``organization``: how many reports it owes past their due date."""
    count = (
        overdue_reports()
        .filter(organization=OuterRef("organization"))
        .order_by()
        .values("organization")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), 0)
