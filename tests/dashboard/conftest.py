"""A small fixed world whose dashboard figures are worked out by hand in the tests.

One GPU offering: 10 units from 2030 on, 20 from D0+10. One call (service 2031-01-01 – 03-31)
with ten applications; five were approved and got allocations in every state:

    A active       3 GPU  D0+5 .. D0+14
    B pending      2 GPU  D0+8 .. D0+12
    C expired      4 GPU  D0   .. D0+3
    D revoked      5 GPU  D0+2 .. D0+20, revoked on D0+6 (held D0+2 .. D0+5)
    E failed       7 GPU  D0   .. D0+20 (never held anything)

and F (submitted, 4 GPU), G (wait-listed, 6 GPU), H (draft), I (rejected), J (withdrawn after
submitting).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from allocations.models import Allocation
from applications.models import Application, CallOffering, PriorityClaim
from pool.capacity import lock_ledger
from pool.models import CapacityPhase
from tests.allocations.conftest import SERVICE_START, make_pool, submitted_application
from tests.factories import CallFactory

D0 = SERVICE_START  # 2031-01-01
SEOUL = ZoneInfo("Asia/Seoul")


def day(n: int) -> date:
    return D0 + timedelta(days=n)


@dataclass
class World:
    offering: object
    call: object
    applications: dict[str, Application]
    allocations: dict[str, Allocation]


# name: (status, quantity, first day, last day, allocation state or None,
#        organisation type, region, industry, purpose, claims)
ROWS = {
    "A": ("approved", 3, 5, 14, "active", "sme", "gwangju", "healthcare", "training", ["gwangju_located"]),
    "B": ("approved", 2, 8, 12, "pending", "sme", "gwangju", "energy", "inference", []),
    "C": ("approved", 4, 0, 3, "expired", "university", "seoul", "healthcare", "training", []),
    "D": ("approved", 5, 2, 20, "revoked", "venture", "seoul", "automotive", "analytics", []),
    "E": ("approved", 7, 0, 20, "failed", "sme", "busan", "energy", "training", []),
    "F": ("submitted", 4, 0, 20, None, "public", "gwangju", "healthcare", "inference", ["relocating"]),
    "G": (
        "waitlisted",
        6,
        0,
        20,
        None,
        "sme",
        "gwangju",
        "other",
        "training",
        ["gwangju_located", "cluster_participant"],
    ),  # fmt: skip
    "H": ("draft", 1, 0, 20, None, "sme", "daegu", "other", "training", []),
    "I": ("rejected", 1, 0, 20, None, "university", "seoul", "other", "analytics", []),
    "J": ("withdrawn", 1, 0, 20, None, "sme", "seoul", "other", "training", []),
}


@pytest.fixture
def world(db) -> World:
    offering = make_pool(10, name="A100 GPU")
    CapacityPhase.objects.create(offering=offering, starts_on=day(10), units=20)
    call = CallFactory(title="2031년 상반기 자원 지원 공고", service_starts_on=D0, service_ends_on=date(2031, 3, 31))
    CallOffering.objects.create(call=call, offering=offering, max_per_application=100)
    applications, allocations = {}, {}
    for name, (status, quantity, first, last, state, org_type, region, industry, purpose, claims) in ROWS.items():
        application = submitted_application(call, (offering, quantity, day(first), day(last)))
        organization = application.organization
        organization.legal_name = f"기관 {name}"
        organization.org_type, organization.region, organization.industry = org_type, region, industry
        organization.save()
        Application.objects.filter(pk=application.pk).update(
            status=status, purpose=purpose, submitted_at=None if status == "draft" else application.submitted_at
        )
        for kind in claims:
            PriorityClaim.objects.create(application=application, kind=kind)
        if state is not None:
            item = application.items.get()
            lock_ledger([(offering.pk, item.starts_on, item.ends_on)])  # creates the period's ledger rows
            allocations[name] = Allocation.objects.create(
                organization=organization,
                application_item=item,
                offering=offering,
                quantity=quantity,
                starts_on=item.starts_on,
                ends_on=item.ends_on,
                state=state,
            )
        application.refresh_from_db()
        applications[name] = application
    revoked_at = datetime.combine(day(6), time(10), SEOUL)
    Allocation.objects.filter(pk=allocations["D"].pk).update(state_changed_at=revoked_at)
    return World(offering, call, applications, allocations)
