"""The staff's endpoints. Each reads through the selectors the admin reads through and changes
state through the services the admin calls; the staff role's permission is checked here as the
admin checks it (``has_perm``), and the services check again what they check for everyone
(the right to decide, conflicts of interest, what fits)."""

from datetime import date
from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accesslog.http import record_access
from accesslog.models import AccessPage
from allocations.models import Allocation
from allocations.services import decisions, provisioning
from api import feeds, problems
from api.pagination import Cursor
from api.permissions import StaffScope
from api.problems import PROBLEM_JSON
from api.schema import PortalAutoSchema, ProblemSerializer
from api.staff import serializers as staff
from applications import selectors as application_selectors
from applications.models import Application, ApplicationTransition, Call
from applications.services import decision_refusals
from evaluation import selectors as evaluation_selectors
from metering import selectors as metering_selectors
from pool import capacity
from pool.models import Offering
from review import selectors as review_selectors


class StaffAutoSchema(PortalAutoSchema):
    """The frame's schema, and the problem a read with query parameters or a cursor can answer:
    400 for a parameter that is not valid (a filter, a period, a cursor of the feed, a list's
    cursor that is not one of its own, see ``api.pagination``)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = []
        if self.method == "GET" and (
            getattr(self.view, "query_parameters", False) or getattr(self.view, "pagination_class", None) is not None
        ):
            codes.append("400")
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_JSON], direction=direction
                )
        return responses


class HasRolePermission(StaffScope):
    """``StaffScope`` and the staff role's permission the view names (``required_permission``, or
    per method ``required_permissions``), as the admin requires it for the same page."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        needed = getattr(view, "required_permissions", {}).get(request.method, view.required_permission)
        return bool(request.user.has_perm(needed))


class StaffView(APIView):
    schema = StaffAutoSchema()
    permission_classes = [HasRolePermission]
    required_permission = "applications.view_application"


problems.register(
    capacity.DoesNotFit,
    status=409,
    slug="does-not-fit",
    extensions=lambda error: {
        "shortfalls": [
            {
                "offering": {"id": shortfall.offering.pk, "name": shortfall.offering.name},
                "wanted": shortfall.wanted,
                "free": max(shortfall.free, 0),
                "day": shortfall.day.isoformat(),
            }
            for shortfall in error.shortfalls
        ]
    },
)
problems.register(
    provisioning.ReportRefused,
    status=409,
    slug="report-refused",
    extensions=lambda error: {"current_state": error.current_state},
)


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The query string parsed by ``serializer_class``: a 400 with field errors when it is not valid."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


# --- The queue ------------------------------------------------------------------------------------


class QueueCursor(Cursor):
    page_size = 50
    ordering = ("rank", "pk")  # type: ignore[assignment]


@extend_schema(tags=["staff: review"], parameters=[staff.StaffQueueQuerySerializer])
class CallQueue(generics.ListAPIView):
    """The ranked queue of a call (its ranking's order: priority, or merit in an evaluated call),
    with the admin queue's columns and filters; ``refusal`` says which the caller may not decide."""

    query_parameters = True
    schema = StaffAutoSchema()
    permission_classes = [HasRolePermission]
    required_permission = "applications.view_application"
    serializer_class = staff.StaffQueueRowSerializer
    pagination_class = QueueCursor

    def get_queryset(self):
        call = get_object_or_404(Call.objects.only("pk"), pk=self.kwargs["pk"])
        query = _query(staff.StaffQueueQuerySerializer, self.request)
        filters = review_selectors.QueueFilters(
            status=query.get("status"),
            offering_id=query.get("offering"),
            claim_kind=query.get("claim_kind"),
            org_type=query.get("org_type"),
            region=query.get("region"),
            industry=query.get("industry"),
            purpose=query.get("purpose"),
            overdue_reports=query.get("overdue_reports"),
            min_priority_score=query.get("min_priority_score"),
        )
        return review_selectors.call_queue(call.pk, filters)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        # Who may not decide which, in one query for the page (the admin's "Decide" column).
        context = {**self.get_serializer_context(), "refusals": decision_refusals(request.user, page)}
        return self.get_paginated_response(self.serializer_class(page, many=True, context=context).data)


# --- One application: its record and the decision ------------------------------------------------


def _record(request: Request, application: Application) -> dict[str, Any]:
    """The application's full record (what the admin's decision page shows)."""
    items = list(application.items.select_related("offering").order_by("pk"))
    previews = review_selectors.grant_preview([(item, item.quantity) for item in items])
    claims = list(application.claims.order_by("kind"))
    history = list(
        ApplicationTransition.objects.filter(application=application)
        .select_related("actor")
        .order_by("created_at", "pk")
    )
    for transition in history:
        transition.actor_email = transition.actor.email if transition.actor else None  # type: ignore[attr-defined]
    row = review_selectors.application_queue(
        Application.objects.filter(pk=application.pk).select_related("organization", "call")
    ).get()
    context = {
        "refusals": decision_refusals(request.user, [row]),
        "items": [
            {
                "id": item.pk,
                "offering": item.offering,
                "quantity": item.quantity,
                "starts_on": item.starts_on,
                "ends_on": item.ends_on,
                "free": shown.free,
                "tightest_day": shown.tightest_day,
                "fits": shown.fits,
            }
            for item, shown in zip(items, previews, strict=True)
        ],
        "claims": [
            {
                "id": claim.pk,
                "kind": claim.kind,
                "details": claim.details,
                "relocation_target": claim.relocation_target,
                "relocation_planned_on": claim.relocation_planned_on,
                "verification": claim.verification,
                "verification_note": claim.verification_note,
                "evidence_url": reverse("claim_evidence", args=[claim.pk]) if claim.evidence else None,
            }
            for claim in claims
        ],
        "score": application_selectors.priority_score(row),
        "history": history,
        "allocations": list(Allocation.objects.filter(application_item__application=application).order_by("pk")),
    }
    return dict(staff.StaffApplicationRecordSerializer(row, context=context).data)


@extend_schema(tags=["staff: review"])
class ApplicationRecord(StaffView):
    """An application's full record, as the admin's decision page shows it; recorded in the
    personal-data access log."""

    required_permission = "applications.view_application"

    @extend_schema(responses=staff.StaffApplicationRecordSerializer)
    def get(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(Application, pk=pk)
        record = _record(request, application)
        response = Response(record)
        record_access(request, page=AccessPage.APPLICATION_PAGE, subject=application)
        return response


@extend_schema(tags=["staff: review"])
class ApplicationDecision(StaffView):
    """Approve (in full, or in part with ``grants``), wait-list or reject, through the allocation
    engine's services: the right to decide, conflicts of interest and the pool's capacity are
    theirs to check. What does not fit is a 409 naming each short offering and its tightest day."""

    required_permission = "applications.view_application"

    @extend_schema(
        request=staff.StaffDecisionSerializer,
        responses=staff.StaffApplicationRecordSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(Application, pk=pk)
        item_ids = set(application.items.values_list("pk", flat=True))
        decision = staff.StaffDecisionSerializer(data=request.data, context={"item_ids": item_ids})
        decision.is_valid(raise_exception=True)
        data = decision.validated_data
        actor, reason = request.user, data["reason"]
        if data["decision"] == "approve":
            decisions.application_approve(
                actor=actor, application=application, grants=data.get("grants"), reason=reason
            )
        elif data["decision"] == "waitlist":
            decisions.application_waitlist(actor=actor, application=application, reason=reason)
        else:
            decisions.application_reject(actor=actor, application=application, reason=reason)
        application.refresh_from_db()
        record = _record(request, application)
        response = Response(record)
        record_access(request, page=AccessPage.APPLICATION_PAGE, subject=application)
        return response


# --- Capacity -------------------------------------------------------------------------------------


class OfferingList(generics.ListAPIView):
    """The pool's offerings."""

    schema = StaffAutoSchema()
    permission_classes = [HasRolePermission]
    required_permission = "pool.view_offering"
    serializer_class = staff.StaffOfferingSerializer
    queryset = Offering.objects.order_by("-pk")

    @extend_schema(tags=["staff: capacity"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["staff: capacity"])
class OfferingCapacity(StaffView):
    """An offering's capacity, reserved and free units on every day of a period (at most 366
    days), as the decisions read them."""

    query_parameters = True
    required_permission = "pool.view_capacityphase"

    @extend_schema(parameters=[staff.StaffPeriodQuerySerializer], responses=staff.StaffOfferingCapacitySerializer)
    def get(self, request: Request, pk: int) -> Response:
        offering = get_object_or_404(Offering, pk=pk)
        period = _query(staff.StaffPeriodQuerySerializer, request)
        starts_on: date = period["starts_on"]
        ends_on: date = period["ends_on"]
        figures = {
            "offering": offering,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "days": [
                {"day": day.day, "capacity": day.capacity, "reserved": day.reserved, "free": day.free}
                for day in capacity.capacity_days(offering.pk, starts_on, ends_on)
            ],
        }
        return Response(staff.StaffOfferingCapacitySerializer(figures).data)


# --- Allocations: the changes feed and provisioning reports ---------------------------------------


def _allocations():
    return Allocation.objects.select_related("offering", "organization", "application_item__application")


@extend_schema(tags=["staff: allocations"])
class AllocationDetail(StaffView):
    """One allocation, as the changes feed lists it."""

    required_permission = "allocations.view_allocation"

    @extend_schema(responses=staff.StaffAllocationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(staff.StaffAllocationSerializer(get_object_or_404(_allocations(), pk=pk)).data)


@extend_schema(tags=["staff: allocations"])
class AllocationChanges(StaffView):
    """Allocations changed since a time, oldest change first, for the data center's provisioning
    and monitoring systems to poll: start with ``since`` (or nothing: from the beginning), then
    follow ``next``, also when a page came back short (poll it again later). An allocation that
    changes again appears again, further on; a cursor never skips a change, even one committed
    late (see ``api.feeds``)."""

    query_parameters = True
    required_permission = "allocations.view_allocation"

    @extend_schema(parameters=[staff.StaffChangesQuerySerializer], responses=staff.StaffChangesPageSerializer)
    def get(self, request: Request) -> Response:
        query = _query(staff.StaffChangesQuerySerializer, request)
        after = None
        if "cursor" in query:
            after = feeds.decode(query["cursor"])
            if after is None:
                raise exceptions.ValidationError({"cursor": [_("This is not a cursor of this feed.")]})
        size = query["page_size"]
        # An empty first page's ``next`` is the last number committed *before* the page was read:
        # read after it, a change committed in between would fall behind the cursor. Without a
        # cursor or a time the page starts at the beginning, and so does its ``next``.
        if after is not None:
            start = after
        elif "since" in query:
            start = feeds.last_number()
        else:
            start = 0
        changes = list(feeds.allocation_changes(after=after, since=query.get("since"))[:size])
        position = (changes[-1].sequence or 0) if changes else start
        results = []
        for change in changes:
            change.allocation.changed_at = change.changed_at  # type: ignore[attr-defined]
            results.append(change.allocation)
        url = request.build_absolute_uri(request.path)
        next_url = f"{url}?cursor={feeds.encode(position)}"
        if "page_size" in request.query_params:
            next_url += f"&page_size={size}"
        return Response(
            {
                "next": next_url,
                "previous": None,
                "results": staff.StaffAllocationChangeSerializer(results, many=True).data,
            }
        )


@extend_schema(tags=["staff: allocations"])
class ProvisioningReport(StaffView):
    """A provisioning system reports an allocation provisioned (with its quota's reference) or
    failed (with the reason), from the state it read (``expected_state``). The same report again
    changes nothing and answers the same; a report that does not fit the allocation's state now
    is a 409 with ``current_state``."""

    required_permission = "allocations.change_allocation"

    @extend_schema(
        request=staff.StaffProvisioningReportSerializer,
        responses=staff.StaffAllocationSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        allocation = get_object_or_404(Allocation.objects.only("pk"), pk=pk)
        report = staff.StaffProvisioningReportSerializer(data=request.data)
        report.is_valid(raise_exception=True)
        provisioning.allocation_provisioning_report(
            actor=request.user, allocation_id=allocation.pk, **report.validated_data
        )
        return Response(staff.StaffAllocationSerializer(_allocations().get(pk=allocation.pk)).data)


# --- Evaluation and usage -------------------------------------------------------------------------


class StageCursor(Cursor):
    ordering = ("order", "pk")  # type: ignore[assignment]


@extend_schema(tags=["staff: evaluation"])
class CallStages(generics.ListAPIView):
    """The merit evaluation's stages of a call, in order (the call's ranking by merit is its
    queue: ``rank`` and ``merit_score``)."""

    schema = StaffAutoSchema()
    permission_classes = [HasRolePermission]
    required_permission = "evaluation.view_stage"
    serializer_class = staff.StaffStageSerializer
    pagination_class = StageCursor

    def get_queryset(self):
        call = get_object_or_404(Call.objects.only("pk"), pk=self.kwargs["pk"])
        return evaluation_selectors.stages_of(call)


@extend_schema(tags=["staff: evaluation"])
class ApplicationStageResults(StaffView):
    """An application's result in each stage of the evaluation: merit, spread, passed."""

    required_permission = "evaluation.view_stageresult"

    @extend_schema(responses=staff.StaffStageResultSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        application = get_object_or_404(Application.objects.only("pk"), pk=pk)
        return Response(staff.StaffStageResultSerializer(evaluation_selectors.results_of(application), many=True).data)


@extend_schema(tags=["staff: usage"])
class AllocationUsage(StaffView):
    """What an allocation used on each day of its service, beside what it was granted."""

    required_permission = "metering.view_usagerecord"

    @extend_schema(responses=staff.StaffAllocationUsageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        allocation = get_object_or_404(Allocation.objects.select_related("offering"), pk=pk)
        figures = {
            "allocation_id": allocation.pk,
            "unit": allocation.offering.unit,
            "days": [day._asdict() for day in metering_selectors.daily_usage(allocation)],
        }
        return Response(staff.StaffAllocationUsageSerializer(figures).data)


@extend_schema(tags=["staff: usage"])
class OfferingUsage(StaffView):
    """An offering's use on each day of a period (at most 366 days), beside what was in service."""

    query_parameters = True
    required_permission = "metering.view_usagerecord"

    @extend_schema(parameters=[staff.StaffPeriodQuerySerializer], responses=staff.StaffOfferingUsageSerializer)
    def get(self, request: Request, pk: int) -> Response:
        offering = get_object_or_404(Offering, pk=pk)
        period = _query(staff.StaffPeriodQuerySerializer, request)
        series = metering_selectors.offering_daily_usage(period["starts_on"], period["ends_on"], [offering.pk])
        figures = {**period, "offering": offering, "days": [day._asdict() for day in series[offering.pk]]}
        return Response(staff.StaffOfferingUsageSerializer(figures).data)
