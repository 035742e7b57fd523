"""The demo capacity pool, reproducing the 2021 announcement (see ../shared/seed/SUMMARY.md).

Announced: from 2021-04-15, 8.85 PF of compute of which 5.5 PF are A100 GPUs, and 10.7 PB of
storage; by 2024, 88.5 PF and 107 PB. The years between, the GPU/CPU split of 2024 and the pools
the article does not size (data lake, development environments, SaaS) are modelled, and their
phases say so.
"""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from pool.models import Offering
from pool.services import capacity_phases_set

SERVICE_START = date(2021, 4, 15)
ANNOUNCED_2021 = "2021년 공고: 연산자원 8.85PF(A100 5.5PF 포함), 저장공간 10.7PB"
TARGET_2024 = "2024년 목표(공고): 연산자원 88.5PF, 저장공간 107PB"
MODELLED = "연도별 증설 모델"

# Per kind: TFLOPS of one unit (compute only) and phases (start, units, modelled?, note).
POOL = {
    Offering.Kind.GPU: (
        Decimal("19.5"),  # A100, FP64 Tensor Core: 282 GPUs ≈ 5.5 PF
        [
            (SERVICE_START, 282, False, ANNOUNCED_2021),
            (date(2022, 1, 1), 1000, True, MODELLED),
            (date(2023, 1, 1), 2000, True, MODELLED),
            (date(2024, 1, 1), 2820, True, TARGET_2024 + " — GPU 55PF 배분은 모델"),
        ],
    ),
    Offering.Kind.CPU: (
        Decimal("0.05"),  # one core: 67,000 cores ≈ 3.35 PF, the 2021 remainder of 8.85 PF
        [
            (SERVICE_START, 67_000, False, ANNOUNCED_2021),
            (date(2022, 1, 1), 160_000, True, MODELLED),
            (date(2023, 1, 1), 300_000, True, MODELLED),
            (date(2024, 1, 1), 670_000, True, TARGET_2024 + " — CPU 33.5PF 배분은 모델"),
        ],
    ),
    Offering.Kind.STORAGE: (
        None,
        [
            (SERVICE_START, 10_700, False, ANNOUNCED_2021),
            (date(2022, 1, 1), 40_000, True, MODELLED),
            (date(2023, 1, 1), 75_000, True, MODELLED),
            (date(2024, 1, 1), 107_000, False, TARGET_2024),
        ],
    ),
    Offering.Kind.DATA_LAKE: (
        None,
        [(SERVICE_START, 2_000, True, MODELLED), (date(2024, 1, 1), 20_000, True, MODELLED)],
    ),
    Offering.Kind.AI_DEV_ENV: (None, [(SERVICE_START, 300, True, MODELLED), (date(2024, 1, 1), 3_000, True, MODELLED)]),
    Offering.Kind.SAAS: (None, [(SERVICE_START, 500, True, MODELLED), (date(2024, 1, 1), 5_000, True, MODELLED)]),
}


def seed_demo_pool() -> int:
    """Set the unit performance and capacity phases of the demo offerings. Idempotent."""
    phases = 0
    for offering in Offering.objects.filter(kind__in=list(POOL)):
        unit_tflops, offering_phases = POOL[offering.kind]
        if offering.unit_tflops != unit_tflops:
            offering.unit_tflops = unit_tflops
            offering.save(update_fields=["unit_tflops"])
        capacity_phases_set(actor=None, offering=offering, phases=offering_phases)
        phases += len(offering_phases)
    return phases


def seed_demo_decisions(titles: list[str] | None = None) -> dict[str, int]:
    """Decide the calls with these titles (by default the 2021 pilot and call, then the call in
    service now) as the operator would have: claims verified, the ranked queue approved while
    the pool allowed (the rest wait-listed), allocations provisioned and, their service period
    over, expired; in a call still in service, the allocations that have not ended stay active.
    Every call gets the default priority policy. Idempotent: only applications still submitted
    are decided."""
    from allocations.services import decisions, provisioning, release
    from applications import services as application_services
    from applications.demo import CURRENT_CALL_TITLE, HISTORIC_CALL_TITLE, PILOT_CALL_TITLE
    from applications.models import Application, Call
    from applications.selectors import ranked
    from pool import capacity

    counts = {"approved": 0, "waitlisted": 0}
    today = timezone.localdate()
    for call in Call.objects.all():
        application_services.priority_policy_defaults(call)
    if titles is None:
        titles = [PILOT_CALL_TITLE, HISTORIC_CALL_TITLE, CURRENT_CALL_TITLE]
    for call in Call.objects.filter(title__in=titles).order_by("opens_at"):
        seeded_from = timezone.now()
        submitted = Application.objects.filter(call=call, status=Application.Status.SUBMITTED)
        for application in submitted.prefetch_related("claims"):
            for claim in application.claims.filter(verification="pending"):
                application_services.claim_review(actor=None, claim=claim, verdict="verified", note="demo")
        for application in ranked(submitted.all()):
            try:
                allocations = decisions.application_approve(actor=None, application=application)
            except capacity.DoesNotFit as refused:
                decisions.application_waitlist(actor=None, application=application, reason=str(refused))
                counts["waitlisted"] += 1
                continue
            counts["approved"] += 1
            for allocation in allocations:
                provisioning.allocation_provision(allocation_id=allocation.pk)
                if allocation.ends_on < today:
                    release.allocation_release(
                        actor=None, allocation=allocation, to_state="expired", reason="The service period ended."
                    )
        _date_decisions(call, seeded_from)
    return counts


def _date_decisions(call, seeded_from) -> None:
    """Seeded decisions happen today; give their history the dates they would have had: the
    review a week after the deadline, provisioning on the first day of each allocation, expiry
    after its last. (Seed data only: the services always stamp the real time.)"""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from allocations.models import Allocation, AllocationTransition
    from applications.models import ApplicationTransition, ClaimReview

    seoul = ZoneInfo("Asia/Seoul")
    reviewed = min(
        call.deadline + timedelta(days=7), datetime.combine(call.service_starts_on - timedelta(days=1), time(17), seoul)
    )
    ClaimReview.objects.filter(claim__application__call=call, created_at__gte=seeded_from).update(created_at=reviewed)
    ApplicationTransition.objects.filter(
        application__call=call, to_status__in=["approved", "waitlisted"], created_at__gte=seeded_from
    ).update(created_at=reviewed)
    allocations = {
        allocation.pk: allocation
        for allocation in Allocation.objects.filter(
            application_item__application__call=call, created_at__gte=seeded_from
        ).only("pk", "starts_on", "ends_on", "state")
    }

    def provisioned(allocation: Allocation) -> datetime:
        return datetime.combine(allocation.starts_on, time(9), seoul)

    def expired(allocation: Allocation) -> datetime:
        return datetime.combine(allocation.ends_on + timedelta(days=1), time(0, 15), seoul)

    transitions = list(AllocationTransition.objects.filter(allocation_id__in=list(allocations)))
    for transition in transitions:
        allocation = allocations[transition.allocation_id]
        transition.created_at = {"pending": reviewed, "expired": expired(allocation)}.get(
            transition.to_state, provisioned(allocation)
        )
    AllocationTransition.objects.bulk_update(transitions, ["created_at"], batch_size=500)
    for allocation in allocations.values():
        allocation.created_at = reviewed
        allocation.state_changed_at = expired(allocation) if allocation.state == "expired" else provisioned(allocation)
    Allocation.objects.bulk_update(allocations.values(), ["created_at", "state_changed_at"], batch_size=500)
