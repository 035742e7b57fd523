"""The demo capacity pool, reproducing the 2021 announcement (see ../shared/seed/SUMMARY.md).

Announced: from 2021-04-15, 8.85 PF of compute of which 5.5 PF are A100 GPUs, and 10.7 PB of
storage; by 2024, 88.5 PF and 107 PB. The years between, the GPU/CPU split of 2024 and the pools
the article does not size (data lake, development environments, SaaS) are modelled, and their
phases say so.
"""

from datetime import date
from decimal import Decimal

from allocations.models import Offering
from allocations.services import capacity_phases_set

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
        capacity_phases_set(offering=offering, phases=offering_phases)
        phases += len(offering_phases)
    return phases
