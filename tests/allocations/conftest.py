"""Builders for the allocation engine's tests: a pool with a known capacity, a call over a fixed
service period, and submitted applications asking for given quantities."""

from datetime import date, timedelta

from django.utils import timezone

from applications.models import Application, ApplicationItem, CallOffering
from pool.models import CapacityPhase, Offering
from tests.factories import CallFactory, OfferingFactory, OrganizationFactory

SERVICE_START = date(2031, 1, 1)
SERVICE_END = date(2031, 3, 31)


def make_pool(units: int, *, name: str = "A100 GPU", kind: str = Offering.Kind.GPU, unit: str = Offering.Unit.GPU):
    """An offering with ``units`` of capacity from 2030 on."""
    offering = OfferingFactory(name=name, kind=kind, unit=unit)
    CapacityPhase.objects.create(offering=offering, starts_on=date(2030, 1, 1), units=units)
    return offering


def make_call(*offerings, max_per_application: int = 1_000_000, **fields):
    call = CallFactory(service_starts_on=SERVICE_START, service_ends_on=SERVICE_END, **fields)
    for offering in offerings:
        CallOffering.objects.create(call=call, offering=offering, max_per_application=max_per_application)
    return call


def submitted_application(call, *requests, submitted_at=None):
    """A submitted application of a new organisation; ``requests`` are (offering, quantity) or
    (offering, quantity, starts_on, ends_on)."""
    application = Application.objects.create(
        organization=OrganizationFactory(),
        call=call,
        status=Application.Status.SUBMITTED,
        submitted_at=submitted_at or timezone.now(),
        purpose="training",
        project_title="Project",
    )
    for request in requests:
        offering, quantity, *period = request
        starts_on, ends_on = period or (SERVICE_START, SERVICE_END)
        ApplicationItem.objects.create(
            application=application, offering=offering, quantity=quantity, starts_on=starts_on, ends_on=ends_on
        )
    return application


def days_after(day: date, n: int) -> date:
    return day + timedelta(days=n)
