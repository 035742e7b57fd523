"""An idle award and a wait-list: a 10-GPU pool; a call over 2031-01-01 – 2031-03-31 with the
default reclaim policy (below 30 % over 30 days after the first 30 days of service, or no use
for 21 days; 14 days to answer; reviewers decide); the applicant's organisation granted 8 GPUs
for the whole period, active, which used 1 GPU a day (12.5 %) for the last 60 days collected up
to the day before ``TODAY``; and two wait-listed applications: the first asks for 8 GPUs (does
not fit after a reduction to 3), the second for 6 (fits)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from allocations.models import Allocation
from allocations.services import decisions
from applications.models import Application, Membership
from metering.models import UsageRecord
from metering.services import usage_ingest
from reclaim import services
from tests.aftercare.conftest import grant
from tests.allocations.conftest import make_call, submitted_application
from tests.factories import MembershipFactory

TODAY = date(2031, 3, 5)
GRANTED = 8


def record_usage(allocation: Allocation, used_per_day: dict[date, Decimal | int]) -> None:
    """What the modelled source reports for ``allocation`` on these days, ingested as collection
    ingests it (``usage_ingest``: the records and the allocation's totals); a source reports every
    allocation of a day at once, so the day's other records are reported again with it."""
    for day, used in used_per_day.items():
        reported = dict(
            UsageRecord.objects.filter(day=day, source=UsageRecord.Source.MODELLED).values_list("allocation_id", "used")
        )
        reported[allocation.pk] = Decimal(used)
        usage_ingest(source=UsageRecord.Source.MODELLED, day=day, records=reported)


def days_before(day: date, n: int) -> list[date]:
    """The ``n`` days before ``day``, oldest first."""
    return [day - timedelta(days=n - k) for k in range(n)]


@pytest.fixture(autouse=True)
def _english():
    """The services' refusals read in English here (the pages and e-mails keep Korean)."""
    with translation.override("en"):
        yield


@pytest.fixture
def call(gpu_pool):
    call = make_call(gpu_pool, max_per_application=8)
    services.reclaim_policy_set(actor=None, call=call)
    return call


@pytest.fixture
def award(call, gpu_pool, applicant) -> Application:
    application, _allocations = grant(call, (gpu_pool, GRANTED))
    MembershipFactory(organization=application.organization, user=applicant, role=Membership.Role.OWNER)
    return application


@pytest.fixture
def allocation(award) -> Allocation:
    allocation = Allocation.objects.select_related("offering").get(application_item__application=award)
    # 24 GPU-hours a day: one of the 8 GPUs busy (12.5 %), collected up to yesterday.
    record_usage(allocation, dict.fromkeys(days_before(TODAY, 60), 24))
    return allocation


@pytest.fixture
def waitlist(call, gpu_pool, allocation) -> list[Application]:
    """Two wait-listed applications, in rank order: 8 GPUs, then 6."""
    waiting = []
    for quantity in (8, 6):
        application = submitted_application(call, (gpu_pool, quantity))
        decisions.application_waitlist(actor=None, application=application)
        waiting.append(application)
    return waiting


@pytest.fixture
def case(allocation):
    [case] = services.reclaim_candidates_mark(today=TODAY)
    return case
