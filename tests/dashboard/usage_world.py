"""A small world of usage, around today, whose figures the usage tests work out by hand.

Three allocations of one call, granted through the engine and provisioned, each used for the 60
days before today (today itself is not collected yet):

    busy   GPU (metered), 4 GPUs, today−60 .. today+29, 72 GPU-hours a day (3 GPUs busy)
    idle   GPU (metered), 2 GPUs, the same period, nothing used
    held   storage (reserved), 10 TB, the same period, 5 TB held a day

The busy allocation belongs to ``applicant``'s organisation, the idle one to
``other_org_applicant``'s, the storage to a third organisation (industry energy, region Seoul).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from allocations.models import Allocation
from allocations.services import decisions, provisioning
from applications.models import CallOffering, Membership, Organization
from metering.models import UsageSource
from metering.services import usage_ingest
from pool.models import CapacityPhase, Offering
from tests.allocations.conftest import submitted_application
from tests.factories import CallFactory, MembershipFactory, OfferingFactory, business_number

COLLECTED_DAYS = 60
GPU_HOURS_BUSY = Decimal(72)
TB_HELD = Decimal(5)


@dataclass
class UsageWorld:
    today: date
    gpu: Offering
    storage: Offering
    busy: Allocation
    idle: Allocation
    held: Allocation


def grant(call, organization, offering, quantity: int, starts_on: date, ends_on: date) -> Allocation:
    """An allocation granted by the engine and provisioned, as a reviewer and the worker make it."""
    application = submitted_application(call, (offering, quantity, starts_on, ends_on))
    application.organization = organization
    application.save()
    [allocation] = decisions.application_approve(actor=None, application=application)
    provisioning.allocation_provision(allocation_id=allocation.pk)
    return Allocation.objects.select_related("offering").get(pk=allocation.pk)


def record_usage(usage: dict[Allocation, dict[date, Decimal]]) -> None:
    """Each day's usage ingested as a usage source reports it: one ingestion per day."""
    days = sorted({day for per_day in usage.values() for day in per_day})
    for day in days:
        usage_ingest(
            source=UsageSource.MODELLED,
            day=day,
            records={allocation.pk: per_day[day] for allocation, per_day in usage.items() if day in per_day},
        )


def build_usage_world(applicant, other_org_applicant) -> UsageWorld:
    today = timezone.localdate()
    first, last = today - timedelta(days=COLLECTED_DAYS), today + timedelta(days=29)
    gpu = OfferingFactory(
        name="A100 GPU", kind=Offering.Kind.GPU, unit=Offering.Unit.GPU, metering=Offering.Metering.METERED
    )
    storage = OfferingFactory(name="저장공간", kind=Offering.Kind.STORAGE, unit=Offering.Unit.TB)
    for offering, units in ((gpu, 10), (storage, 100)):
        CapacityPhase.objects.create(offering=offering, starts_on=date(2020, 1, 1), units=units)
    call = CallFactory(title="활용 공고", service_starts_on=first, service_ends_on=last)
    for offering in (gpu, storage):
        CallOffering.objects.create(call=call, offering=offering, max_per_application=100)
    mine = Organization.objects.create(
        legal_name="빛고을 AI",
        org_type="sme",
        registration_number=business_number(771001),
        region="gwangju",
        address="광주광역시 북구",
        industry="healthcare",
        employees=10,
    )
    MembershipFactory(organization=mine, user=applicant, role=Membership.Role.OWNER)
    theirs = Organization.objects.create(
        legal_name="유휴 기관",
        org_type="sme",
        registration_number=business_number(771002),
        region="gwangju",
        address="광주광역시 남구",
        industry="healthcare",
        employees=10,
    )
    MembershipFactory(organization=theirs, user=other_org_applicant, role=Membership.Role.OWNER)
    third = Organization.objects.create(
        legal_name="서울 에너지",
        org_type="sme",
        registration_number=business_number(771003),
        region="seoul",
        address="서울특별시 중구",
        industry="energy",
        employees=10,
    )
    busy = grant(call, mine, gpu, 4, first, last)
    idle = grant(call, theirs, gpu, 2, first, last)
    held = grant(call, third, storage, 10, first, last)
    days = [first + timedelta(days=n) for n in range(COLLECTED_DAYS)]
    record_usage(
        {
            busy: dict.fromkeys(days, GPU_HOURS_BUSY),
            idle: dict.fromkeys(days, Decimal(0)),
            held: dict.fromkeys(days, TB_HELD),
        }
    )
    return UsageWorld(today, gpu, storage, busy, idle, held)
