"""Calls: the open ones (the site's call list), and one call that has opened (its page)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from api.serializers.calls import CallSerializer
from applications import selectors


@extend_schema(summary="Open calls", tags=["calls"])
class CallList(generics.ListAPIView):
    """The calls open now, the nearest deadline first."""

    serializer_class = CallSerializer
    ordering = ("deadline", "pk")

    def get_queryset(self):
        return selectors.open_calls()


@extend_schema(summary="A call", tags=["calls"])
class CallDetail(generics.RetrieveAPIView):
    """A call that has opened (open now, or closed since)."""

    serializer_class = CallSerializer

    def get_object(self):
        return get_object_or_404(selectors.call_with_offerings(self.kwargs["pk"]))
