"""Your organisations' allocations, and what each used (the metering selectors)."""

from datetime import timedelta
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from aftercare.selectors import allocations_of_member
from api.serializers.allocations import AllocationSerializer, UsageSerializer
from metering import selectors as metering

TAGS = ["allocations"]


@extend_schema(tags=TAGS)
class AllocationList(generics.ListAPIView):
    """The allocations granted to your organisations, newest first."""

    serializer_class = AllocationSerializer
    ordering = ("-pk",)

    def get_queryset(self):
        return allocations_of_member(self.request.user)


@extend_schema(tags=TAGS)
class AllocationDetail(generics.RetrieveAPIView):
    """One of your organisations' allocations: what, how much, when, and its state."""

    serializer_class = AllocationSerializer

    def get_queryset(self):
        return allocations_of_member(self.request.user)


@extend_schema(tags=TAGS)
class AllocationUsage(APIView):
    """The allocation's usage day by day (as its usage page on the site shows it)."""

    @extend_schema(responses={200: UsageSerializer})
    def get(self, request, pk: int):
        allocation = get_object_or_404(allocations_of_member(request.user), pk=pk)
        days = metering.daily_usage(allocation)
        yesterday = timezone.localdate() - timedelta(days=1)
        so_far = metering.Utilisation(used=Decimal(0), granted=Decimal(0))
        if days and days[0].day <= yesterday:
            so_far = metering.utilisation([allocation.pk], days[0].day, yesterday)[allocation.pk]
        ratio = so_far.ratio
        body = {
            "allocation": allocation.pk,
            "unit": allocation.offering.unit,
            "used": so_far.used,
            "granted": so_far.granted,
            "rate": ratio.quantize(Decimal("0.0001")) if ratio is not None else None,
            "days": [{"day": day.day, "used": day.used, "granted": day.granted} for day in days],
        }
        return Response(UsageSerializer(body).data)
