"""After the award: requests to extend or supplement an allocation, and the reports the data
center asks for. The site's forms check the input (``ChangeRequestForm``, ``ReportForm``) and
the aftercare services act (``change_request_submit``, ``change_request_withdraw``,
``report_submit``)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from aftercare import selectors, services
from aftercare.forms import ChangeRequestForm, ReportForm
from aftercare.models import Report
from api.serializers.aftercare import (
    ChangeRequestInputSerializer,
    ChangeRequestSerializer,
    ChangeRequestWithdrawSerializer,
    ReportInputSerializer,
    ReportSerializer,
)
from api.validation import as_form_data, cleaned

TAGS = ["after the award"]


def _reports_of_member(user) -> QuerySet[Report]:
    # Members' reports only: staff read every report in the admin, not as an applicant here.
    return selectors.reports_visible_to(user).filter(organization__memberships__user=user)


@extend_schema(tags=TAGS)
class ChangeRequestList(generics.ListCreateAPIView):
    """Your organisations' requests to extend or supplement an allocation, newest first; POST asks
    for one (the allocation must be active, with no other request awaiting a decision)."""

    ordering = ("-pk",)

    def get_serializer_class(self):
        return ChangeRequestInputSerializer if self.request.method == "POST" else ChangeRequestSerializer

    def get_queryset(self):
        return selectors.change_requests_of_member(self.request.user)

    @extend_schema(request=ChangeRequestInputSerializer, responses={201: ChangeRequestSerializer})
    def post(self, request, *args, **kwargs):
        incoming = ChangeRequestInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        allocation = selectors.allocations_of_member(request.user).filter(pk=values.pop("allocation")).first()
        if allocation is None:
            raise ValidationError({"allocation": [_("No such allocation of your organisations.")]})
        form = ChangeRequestForm(
            as_form_data(values), allocation=allocation, supplement_limit=services.supplement_limit(allocation)
        )
        data = cleaned(form)
        change_request = services.change_request_submit(
            actor=request.user,
            allocation=allocation,
            kind=data["kind"],
            justification=data["justification"],
            ends_on=data.get("ends_on"),
            units=data.get("units"),
        )
        return Response(ChangeRequestSerializer(change_request).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class ChangeRequestDetail(generics.RetrieveAPIView):
    """One of your organisations' change requests and its decision."""

    serializer_class = ChangeRequestSerializer

    def get_queryset(self):
        return selectors.change_requests_of_member(self.request.user)


@extend_schema(tags=TAGS)
class ChangeRequestWithdraw(APIView):
    """Withdraw a request before it is decided."""

    @extend_schema(request=ChangeRequestWithdrawSerializer, responses={200: ChangeRequestSerializer})
    def post(self, request, pk: int):
        change_request = get_object_or_404(selectors.change_requests_of_member(request.user), pk=pk)
        incoming = ChangeRequestWithdrawSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        change_request = services.change_request_withdraw(
            actor=request.user, change_request=change_request, reason=incoming.validated_data["reason"]
        )
        return Response(ChangeRequestSerializer(change_request).data)


@extend_schema(tags=TAGS)
class ReportList(generics.ListAPIView):
    """The reports asked of your organisations, by due day."""

    serializer_class = ReportSerializer
    ordering = ("due_on", "pk")

    def get_queryset(self):
        return _reports_of_member(self.request.user)


@extend_schema(tags=TAGS)
class ReportDetail(generics.RetrieveAPIView):
    """One of your organisations' reports."""

    serializer_class = ReportSerializer

    def get_queryset(self):
        return _reports_of_member(self.request.user)


@extend_schema(tags=TAGS)
class ReportSubmit(APIView):
    """File a requested report (late is accepted, and shows as late); then it is read-only. JSON,
    or multipart with an ``attachment`` checked like every upload."""

    @extend_schema(
        request={"application/json": ReportInputSerializer, "multipart/form-data": ReportInputSerializer},
        responses={200: ReportSerializer},
    )
    def post(self, request, pk: int):
        report = get_object_or_404(_reports_of_member(request.user), pk=pk)
        incoming = ReportInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = dict(incoming.validated_data)
        attachment = values.pop("attachment", None)
        files = MultiValueDict({"attachment": [attachment]}) if attachment is not None else None
        form = ReportForm(as_form_data(values), files)
        data = cleaned(form)
        report = services.report_submit(
            actor=request.user,
            report=report,
            work_done=data["work_done"],
            outcomes=data["outcomes"],
            publications=data["publications"],
            attachment=data.get("attachment"),
        )
        return Response(ReportSerializer(report).data)
