"""What the sample organisations apply for, and applying as their owners do on the site.

The specs come from the same fixed random seed as the organisations: the first 100 organisations
applied to the 2021 call and the other 11 to the pilot; 30 of all 111 apply to the open call and
100 to the large call in service now. The small call in service has 데모 AI 주식회사 and five
organisations that the 2021 call selected.

Each application is made through the services, by the organisation's owner: a draft started and
filled in (``application_start``, ``application_update_draft``: the requested items, the
priority claims with their evidence, the business registration certificate) and submitted
(``application_submit``), each step at its moment of the story (``demo.timeline``).
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from accounts.models import User
from applications.models import Application, Call, Industry, PriorityClaim
from applications.regions import Region
from applications.services import (
    ClaimInput,
    RequestedItem,
    application_start,
    application_submit,
    application_update_draft,
)
from demo.calls import SEOUL, CallSpec
from demo.documents import sample_pdf
from demo.organisations import DEMO_ORGANIZATION, OrganizationSpec, owner_of, registered
from demo.pool import OFFERING_NAMES
from demo.timeline import Timeline
from pool.models import Offering

Kind = Offering.Kind
Purpose = Application.Purpose
Claim = PriorityClaim.Kind

HISTORIC_APPLICANTS = 100
PILOT_APPLICANTS = 11
OPEN_CALL_APPLICANTS = 30
CURRENT_CALL_APPLICANTS = 100
IN_SERVICE_SAMPLE_AWARDS = 5
# A sample organisation registered on the portal shortly before its first application.
REGISTERED_BEFORE = timedelta(hours=2)

PURPOSES = ((Purpose.TRAINING, 5), (Purpose.INFERENCE, 3), (Purpose.ANALYTICS, 2))
PURPOSE_WORDS: dict[str, Any] = {
    Purpose.TRAINING: "모델 학습",
    Purpose.INFERENCE: "추론 서비스 구축",
    Purpose.ANALYTICS: "데이터 분석",
}
TOPICS: dict[str, Any] = {
    Industry.AUTOMOTIVE: (
        "자율주행 객체 인식",
        "차량 부품 외관 결함 탐지",
        "전기차 배터리 수명 예측",
        "운전자 상태 인식",
    ),
    Industry.ENERGY: ("태양광 발전량 예측", "전력 수요 예측", "변압기 고장 징후 탐지", "건물 에너지 사용 최적화"),
    Industry.HEALTHCARE: (
        "흉부 X선 판독 보조",
        "병리 슬라이드 영상 분할",
        "만성질환 위험도 예측",
        "치과 영상 진단 보조",
    ),
    Industry.CULTURAL_CONTENT: ("웹툰 자동 채색", "한국어 음성 합성", "영상 자막 자동 생성", "게임 캐릭터 동작 생성"),
    Industry.OTHER: ("한국어 언어모델 미세조정", "제조 공정 품질 예측", "농작물 병해 진단", "문서 OCR 고도화"),
}
OUTCOMES: dict[str, Any] = {
    Industry.AUTOMOTIVE: "완성차·부품 기업과 실증해 검사 정확도와 주행 안전성을 높입니다.",
    Industry.ENERGY: "발전·전력 설비의 운영 비용을 줄이고 예측 정확도를 높입니다.",
    Industry.HEALTHCARE: "의료진의 판독 시간을 줄이고 진단 보조 서비스를 상용화합니다.",
    Industry.CULTURAL_CONTENT: "콘텐츠 제작 기간을 줄이고 새 서비스를 출시합니다.",
    Industry.OTHER: "현장 적용으로 업무 효율을 높이고 AI 서비스를 상용화합니다.",
}
QUANTITIES: dict[str, Any] = {
    Kind.GPU: (1, 2, 2, 4, 4, 8),
    Kind.CPU: (16, 32, 64, 128, 256),
    Kind.STORAGE: (5, 10, 20, 50, 100),
    Kind.AI_DEV_ENV: (1, 2, 3, 5, 10),
    Kind.DATA_LAKE: (5, 10, 20, 50),
    Kind.SAAS: (2, 5, 10, 20),
}
RELOCATION_WORDS: dict[str, Any] = {
    PriorityClaim.Relocation.HEAD_OFFICE: "본사",
    PriorityClaim.Relocation.BRANCH: "지사",
    PriorityClaim.Relocation.LAB: "연구소",
}


@dataclass(frozen=True)
class ItemSpec:
    kind: str
    quantity: int
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class ClaimSpec:
    kind: str
    details: str
    relocation_target: str = ""
    relocation_planned_on: date | None = None


@dataclass(frozen=True)
class ApplicationSpec:
    organization: OrganizationSpec
    call: str  # key into demo.calls.call_specs()
    purpose: str
    project_title: str
    summary: str
    plan: str
    expected_outcome: str
    created_at: datetime
    submitted_at: datetime
    items: tuple[ItemSpec, ...]
    claims: tuple[ClaimSpec, ...]


def _items(rng: random.Random, call: CallSpec, purpose: str) -> tuple[ItemSpec, ...]:
    kinds = list(call.maxima)
    count = rng.choice((1, 2, 2, 3, 3))
    first = Kind.GPU if purpose != Purpose.ANALYTICS or rng.random() < 0.5 else rng.choice(kinds)
    chosen = [first, *rng.sample([kind for kind in kinds if kind != first], count - 1)]
    service_days = (call.service_ends_on - call.service_starts_on).days
    items = []
    for kind in chosen:
        starts_on = call.service_starts_on + timedelta(days=min(rng.choice((0, 0, 0, 14, 30, 61)), service_days // 2))
        ends_on = rng.choice((call.service_ends_on, call.service_ends_on, starts_on + timedelta(days=89)))
        if call.scale and ends_on != call.service_ends_on:  # a larger call's short projects run six months
            ends_on = starts_on + timedelta(days=179)
        scale = call.scale[kind] if call.scale else 1
        items.append(
            ItemSpec(
                kind=kind,
                quantity=min(rng.choice(QUANTITIES[kind]) * scale, call.maxima[kind]),
                starts_on=starts_on,
                ends_on=min(ends_on, call.service_ends_on),
            )
        )
    return tuple(items)


def _claims(rng: random.Random, organization: OrganizationSpec, call: CallSpec) -> tuple[ClaimSpec, ...]:
    claims = []
    in_gwangju = organization.region == Region.GWANGJU
    if in_gwangju and rng.random() < 0.85:
        claims.append(ClaimSpec(Claim.GWANGJU_LOCATED, f"본사 소재지: {organization.address}"))
    if not in_gwangju and rng.random() < 0.3:
        target = rng.choice(list(RELOCATION_WORDS))
        claims.append(
            ClaimSpec(
                Claim.RELOCATING,
                f"{RELOCATION_WORDS[target]}를 광주광역시 북구 첨단3지구로 이전할 계획입니다.",
                relocation_target=target,
                relocation_planned_on=call.deadline.astimezone(SEOUL).date() + timedelta(days=rng.randint(60, 400)),
            )
        )
    if rng.random() < (0.35 if in_gwangju else 0.1):
        claims.append(
            ClaimSpec(
                Claim.CLUSTER_PARTICIPANT,
                f"인공지능 집적단지 조성사업 참여기업 (협약번호 AI-{call.opens_at.year}-{rng.randint(1, 300):03d})",
            )
        )
    return tuple(claims)


def _application(rng: random.Random, organization: OrganizationSpec, key: str, call: CallSpec) -> ApplicationSpec:
    purpose = rng.choices([p for p, _ in PURPOSES], weights=[w for _, w in PURPOSES])[0]
    topic = rng.choice(TOPICS[organization.industry])
    window = call.submitted_until - call.opens_at
    created_at = call.opens_at + window * rng.uniform(0.02, 0.7)
    submitted_at = created_at + (call.submitted_until - created_at) * rng.uniform(0.1, 0.95)
    items = _items(rng, call, purpose)
    return ApplicationSpec(
        organization=organization,
        call=key,
        purpose=purpose,
        project_title=f"{topic} {PURPOSE_WORDS[purpose]}",
        summary=(
            f"{topic} 과제입니다. 국가 AI 데이터센터의 "
            f"{'·'.join(OFFERING_NAMES[item.kind] for item in items)} 자원으로 {PURPOSE_WORDS[purpose]}을 수행합니다."
        ),
        plan=f"1단계: 데이터 수집과 정제\n2단계: {PURPOSE_WORDS[purpose]}\n3단계: 성능 검증과 현장 적용",
        expected_outcome=OUTCOMES[organization.industry],
        created_at=created_at.replace(microsecond=0),
        submitted_at=submitted_at.replace(microsecond=0),
        items=items,
        claims=_claims(rng, organization, call),
    )


def sample_applications(
    rng: random.Random, organizations: list[OrganizationSpec], calls: dict[str, CallSpec]
) -> list[ApplicationSpec]:
    """The first 100 organisations applied to the 2021 call, the other 11 to the pilot, 30 of all
    111 to the open call and 100 of them to the call in service now."""
    applications = []
    for index, organization in enumerate(organizations):
        key = "historic" if index < HISTORIC_APPLICANTS else "pilot"
        applications.append(_application(rng, organization, key, calls[key]))
    for index in sorted(rng.sample(range(len(organizations)), OPEN_CALL_APPLICANTS)):
        applications.append(_application(rng, organizations[index], "open", calls["open"]))
    for index in sorted(rng.sample(range(len(organizations)), CURRENT_CALL_APPLICANTS)):
        applications.append(_application(rng, organizations[index], "current", calls["current"]))
    return applications


def in_service_applications(call: CallSpec, samples: list[OrganizationSpec]) -> list[ApplicationSpec]:
    """데모 AI 주식회사's application to the small call in service, and five sample organisations'."""
    rng = random.Random("aftercare-call-in-service")
    service = (call.service_starts_on, call.service_ends_on)
    applications = []
    for number, organization in enumerate([DEMO_ORGANIZATION, *samples]):
        if organization == DEMO_ORGANIZATION:
            requests = [(Kind.GPU, 4), (Kind.STORAGE, 20), (Kind.AI_DEV_ENV, 3)]
            claims: tuple[ClaimSpec, ...] = (ClaimSpec(Claim.GWANGJU_LOCATED, f"본사 소재지: {organization.address}"),)
        else:
            requests = [(Kind.GPU, rng.choice((1, 2, 4))), (Kind.STORAGE, rng.choice((10, 20, 50)))]
            claims = _claims(rng, organization, call)
        submitted_at = call.deadline - timedelta(days=number + 1, hours=rng.randint(1, 6))
        title = TOPICS[organization.industry][0]
        applications.append(
            ApplicationSpec(
                organization=organization,
                call="in_service",
                purpose=Purpose.TRAINING,
                project_title=title,
                summary=f"{title} 모델을 학습하고 검증합니다.",
                plan="1~2개월: 데이터 정제, 3~4개월: 모델 학습, 5~6개월: 검증과 실증.",
                expected_outcome="현장 실증을 거쳐 서비스를 상용화합니다.",
                created_at=submitted_at - timedelta(days=2),
                submitted_at=submitted_at,
                items=tuple(ItemSpec(kind, units, *service) for kind, units in requests),
                claims=claims,
            )
        )
    return applications


# --- Applying -----------------------------------------------------------------------------------


def apply(
    spec: ApplicationSpec,
    *,
    call: Call,
    offerings: dict[str, Offering],
    timeline: Timeline,
    owner: User | None = None,
) -> Application:
    """The organisation's application to ``call``, as its owner makes it: the organisation
    registered first if it is new (by ``owner``, else by its own deactivated owner), the draft
    started and filled in at ``spec.created_at``, submitted at ``spec.submitted_at``.
    Idempotent: an application past its draft is left as it is."""
    organization = registered(spec.organization, timeline=timeline, at=spec.created_at - REGISTERED_BEFORE, owner=owner)
    owner = owner_of(organization)
    application = Application.objects.filter(call=call, organization=organization).first()
    if application is not None and application.status != Application.Status.DRAFT:
        return application
    number = organization.registration_number_display
    with timeline.at(spec.created_at):
        application = application_start(actor=owner, call=call, organization=organization)
        application = application_update_draft(
            actor=owner,
            application=application,
            fields={
                "purpose": spec.purpose,
                "project_title": spec.project_title,
                "summary": spec.summary,
                "plan": spec.plan,
                "expected_outcome": spec.expected_outcome,
                "industry_domain": spec.organization.industry,
            },
            items=[
                RequestedItem(offerings[item.kind], item.quantity, item.starts_on, item.ends_on) for item in spec.items
            ],
            claims=[
                ClaimInput(
                    kind=claim.kind,
                    details=claim.details,
                    relocation_target=claim.relocation_target,
                    relocation_planned_on=claim.relocation_planned_on,
                    evidence=sample_pdf("증빙서류.pdf", f"Evidence of the claim: {claim.kind}", f"No. {number}"),
                )
                for claim in spec.claims
            ],
            certificate=sample_pdf("사업자등록증.pdf", "Business registration certificate", f"No. {number}"),
        )
    with timeline.at(spec.submitted_at):
        return application_submit(actor=owner, application=application)
