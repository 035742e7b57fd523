"""The demo's catalogue and capacity pool, reproducing the 2021 announcement (../shared/seed/).

Announced: from 2021-04-15, 8.85 PF of compute of which 5.5 PF are A100 GPUs, and 10.7 PB of
storage; by 2024, 88.5 PF and 107 PB. The years between, the GPU/CPU split of 2024 and the pools
the article does not size (data lake, development environments, SaaS) are modelled, and their
phases say so. So is the capacity the pilot ran on before the service opened (15 February to 31
March 2021, 11 organisations): the article does not size it, so the phase from the pilot's start
is a modelled share of what was built by then, enough for the pilot's eleven awards.

The offerings are created as an operator creates them in the admin (a model save: there is no
service for it); their phases go through ``pool.services.capacity_phases_set``, as the admin's
phase editor does.
"""

from datetime import date
from decimal import Decimal

from accounts.models import User
from pool.models import CapacityPhase, Offering
from pool.services import capacity_phases_set

Kind = Offering.Kind

OFFERINGS = (
    (Kind.GPU, "GPU (NVIDIA A100)", Offering.Unit.GPU, "NVIDIA A100 GPU. 모델 학습과 대규모 추론용."),
    (Kind.CPU, "CPU 코어", Offering.Unit.CORE, "범용 CPU 코어. 데이터 전처리, 분석과 서비스 운영용."),
    (Kind.STORAGE, "저장공간", Offering.Unit.TB, "학습 데이터와 결과물을 보관하는 고성능 저장공간."),
    (Kind.AI_DEV_ENV, "AI 개발환경", Offering.Unit.SEAT, "AI 프레임워크가 준비된 개발환경 (사용자 1명당 1계정)."),
    (Kind.DATA_LAKE, "데이터레이크", Offering.Unit.TB, "정형·비정형 데이터를 모아 분석하는 데이터레이크."),
    (Kind.SAAS, "AI SaaS", Offering.Unit.SEAT, "음성·영상·언어 인식 AI 서비스 (사용자 1명당 1계정)."),
)
OFFERING_NAMES: dict[str, str] = {kind: name for kind, name, _unit, _description in OFFERINGS}

PILOT_START = date(2021, 2, 15)
SERVICE_START = date(2021, 4, 15)
PILOT = "시범 서비스(2021.2.15~3.31) 운영분: 정식 서비스 전 구축 자원, 규모는 모델"
ANNOUNCED_2021 = "2021년 공고: 연산자원 8.85PF(A100 5.5PF 포함), 저장공간 10.7PB"
TARGET_2024 = "2024년 목표(공고): 연산자원 88.5PF, 저장공간 107PB"
MODELLED = "연도별 증설 모델"

# Per kind: TFLOPS of one unit (compute only) and phases (start, units, modelled?, note).
POOL = {
    Kind.GPU: (
        Decimal("19.5"),  # A100, FP64 Tensor Core: 282 GPUs ≈ 5.5 PF
        [
            (PILOT_START, 64, True, PILOT),
            (SERVICE_START, 282, False, ANNOUNCED_2021),
            (date(2022, 1, 1), 1000, True, MODELLED),
            (date(2023, 1, 1), 2000, True, MODELLED),
            (date(2024, 1, 1), 2820, True, TARGET_2024 + " — GPU 55PF 배분은 모델"),
        ],
    ),
    Kind.CPU: (
        Decimal("0.05"),  # one core: 67,000 cores ≈ 3.35 PF, the 2021 remainder of 8.85 PF
        [
            (PILOT_START, 4_000, True, PILOT),
            (SERVICE_START, 67_000, False, ANNOUNCED_2021),
            (date(2022, 1, 1), 160_000, True, MODELLED),
            (date(2023, 1, 1), 300_000, True, MODELLED),
            (date(2024, 1, 1), 670_000, True, TARGET_2024 + " — CPU 33.5PF 배분은 모델"),
        ],
    ),
    Kind.STORAGE: (
        None,
        [
            (PILOT_START, 1_000, True, PILOT),
            (SERVICE_START, 10_700, False, ANNOUNCED_2021),
            (date(2022, 1, 1), 40_000, True, MODELLED),
            (date(2023, 1, 1), 75_000, True, MODELLED),
            (date(2024, 1, 1), 107_000, False, TARGET_2024),
        ],
    ),
    Kind.DATA_LAKE: (
        None,
        [(SERVICE_START, 2_000, True, MODELLED), (date(2024, 1, 1), 20_000, True, MODELLED)],
    ),
    Kind.AI_DEV_ENV: (
        None,
        [
            (PILOT_START, 60, True, PILOT),
            (SERVICE_START, 300, True, MODELLED),
            (date(2024, 1, 1), 3_000, True, MODELLED),
        ],
    ),
    Kind.SAAS: (None, [(SERVICE_START, 500, True, MODELLED), (date(2024, 1, 1), 5_000, True, MODELLED)]),
}


def seed_offerings() -> dict[str, Offering]:
    """The six offerings by kind, created where missing (found again by name)."""
    offerings: dict[str, Offering] = {}
    for kind, name, unit, description in OFFERINGS:
        offerings[kind], _created = Offering.objects.get_or_create(
            name=name, defaults={"kind": kind, "unit": unit, "description": description}
        )
    return offerings


def seed_pool(*, operator: User, offerings: dict[str, Offering]) -> None:
    """The unit performance and capacity phases of the demo offerings, as the operator sets them
    in the admin. Idempotent: the same phases again change nothing and record nothing."""
    for kind, (unit_tflops, phases) in POOL.items():
        offering = offerings[kind]
        if offering.unit_tflops != unit_tflops:
            offering.unit_tflops = unit_tflops
            offering.save(update_fields=["unit_tflops"])
        capacity_phases_set(actor=operator, offering=offering, phases=phases)


def pool_phases(offerings: dict[str, Offering]) -> int:
    return CapacityPhase.objects.filter(offering__in=offerings.values()).count()
