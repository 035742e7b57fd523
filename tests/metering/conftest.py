"""Builders for the usage tests: active allocations around today (their usage can be collected
for days that have ended), in pools with capacity from 2020 on."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from allocations.models import Allocation
from allocations.services import decisions, provisioning
from applications.models import Membership
from pool.models import CapacityPhase, Offering
from tests.allocations.conftest import make_call, submitted_application
from tests.factories import OfferingFactory


def pool(name: str, unit: str = Offering.Unit.GPU, *, kind: str = Offering.Kind.GPU, metering: str = "reserved"):
    offering = OfferingFactory(name=name, kind=kind, unit=unit, metering=metering)
    CapacityPhase.objects.get_or_create(offering=offering, starts_on=date(2020, 1, 1), defaults={"units": 100_000})
    return offering


def award(offering, quantity: int, starts_on: date, ends_on: date, *, members=()) -> Allocation:
    """An active allocation of ``quantity`` units from ``starts_on`` to ``ends_on``, of a new
    organisation whose members are ``members``."""
    application = submitted_application(make_call(offering), (offering, quantity, starts_on, ends_on))
    for user in members:
        Membership.objects.create(organization=application.organization, user=user, role=Membership.Role.OWNER)
    [allocation] = decisions.application_approve(actor=None, application=application)
    provisioning.allocation_provision(allocation_id=allocation.pk)
    return Allocation.objects.select_related("offering").get(pk=allocation.pk)


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def gpu(db):
    return pool("A100 GPU")


@pytest.fixture
def recent(today) -> tuple[date, date]:
    """A service period that began 40 days ago and ends in 40 days."""
    return today - timedelta(days=40), today + timedelta(days=40)
