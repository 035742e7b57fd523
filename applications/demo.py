"""Demo data for a laptop or a staging site: offerings, four calls and fictitious applicants.

- the six offerings of the data center;
- an open call (opened yesterday, closing in two weeks at 18:00 Asia/Seoul) with a queue of 30
  submitted applications ready to review;
- the closed 2021 call (정식 서비스) with 100 submitted applications, and the 2021 pilot
  (시범 서비스) with 11 others: 111 sample organisations, none in both 2021 calls;
- a call in service now (closed about six months ago, its service ending in two months) with
  100 applications asking for far more: decided by ``allocations.demo.seed_demo_decisions``, so
  the operator's dashboard has allocations running, ending soon and a wait-list;
- 데모 AI 주식회사 in Gwangju, owned by the demo applicant and with no application, so that the
  demo applicant can apply to the open call himself.

The sample organisations are built from a fixed random seed, so every run describes the same ones;
rows are keyed on natural keys (offering name, call title, registration number, organisation and
call), so a second run creates nothing. A re-run moves the open call's dates to the present, and the
seeded applications to it along with them, so that the call is open again and its queue consistent.
"""

import calendar
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNTS
from accounts.models import User
from applications.business_number import check_digit
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Call,
    CallOffering,
    Industry,
    Membership,
    Organization,
    PriorityClaim,
)
from applications.regions import Region
from pool.models import Offering

SEOUL = ZoneInfo("Asia/Seoul")
SEED = 2021

Kind = Offering.Kind
Purpose = Application.Purpose
Claim = PriorityClaim.Kind


@dataclass(frozen=True)
class DemoSummary:
    offerings: int
    calls: int
    organizations: int
    applications: int

    def __str__(self) -> str:
        return (
            f"{self.offerings} offerings, {self.calls} calls, "
            f"{self.organizations} organisations, {self.applications} applications"
        )


# --- Offerings and calls ------------------------------------------------------------------------

OFFERINGS = (
    (Kind.GPU, "GPU (NVIDIA A100)", Offering.Unit.GPU, "NVIDIA A100 GPU. 모델 학습과 대규모 추론용."),
    (Kind.CPU, "CPU 코어", Offering.Unit.CORE, "범용 CPU 코어. 데이터 전처리, 분석과 서비스 운영용."),
    (Kind.STORAGE, "스토리지", Offering.Unit.TB, "학습 데이터와 결과물을 보관하는 고성능 스토리지."),
    (Kind.AI_DEV_ENV, "AI 개발환경", Offering.Unit.SEAT, "AI 프레임워크가 준비된 개발환경 (사용자 1명당 1석)."),
    (Kind.DATA_LAKE, "데이터레이크", Offering.Unit.TB, "정형·비정형 데이터를 모아 분석하는 데이터레이크."),
    (Kind.SAAS, "AI SaaS", Offering.Unit.SEAT, "음성·영상·언어 인식 AI 서비스 (사용자 1명당 1석)."),
)

FULL_MAXIMA = {
    Kind.GPU: 8,
    Kind.CPU: 256,
    Kind.STORAGE: 100,
    Kind.AI_DEV_ENV: 10,
    Kind.DATA_LAKE: 50,
    Kind.SAAS: 20,
}
PILOT_MAXIMA = {Kind.GPU: 4, Kind.CPU: 128, Kind.STORAGE: 50, Kind.AI_DEV_ENV: 5}
# The call in service now asks for much more than 2021's: the 2024 pool is ten times larger.
CURRENT_SCALE = {
    Kind.GPU: 14,
    Kind.CPU: 100,
    Kind.STORAGE: 20,
    Kind.AI_DEV_ENV: 5,
    Kind.DATA_LAKE: 10,
    Kind.SAAS: 5,
}
CURRENT_MAXIMA = {kind: maximum * CURRENT_SCALE[kind] for kind, maximum in FULL_MAXIMA.items()}

# Stable titles: the calls are found again by title on every run.
OPEN_CALL_TITLE = "국가 AI 데이터센터 자원 지원 사업 수시 모집 공고"
HISTORIC_CALL_TITLE = "2021년 국가 AI 데이터센터 자원 지원 서비스 (정식 서비스)"
PILOT_CALL_TITLE = "2021년 국가 AI 데이터센터 시범 서비스"
CURRENT_CALL_TITLE = "국가 AI 데이터센터 자원 지원 서비스 (운영 중)"

OPEN_CALL_DESCRIPTION = """\
국가 AI 데이터센터가 인공지능 제품과 서비스를 개발하는 기관에 고성능 컴퓨팅 자원(GPU·CPU), 스토리지, \
AI 개발환경, 데이터레이크와 AI SaaS를 지원합니다. 제품 개발부터 상용 서비스 검증까지 필요한 자원을 신청하세요.

지원 대상: 인공지능 모델과 알고리즘의 학습·추론·분석에 컴퓨팅 자원이 필요한 중견·중소·벤처기업, \
공공기관과 대학교. 약 100개 기관을 선정합니다.

우선 지원: ① 광주광역시에 소재한 AI 기업 ② 본사·지사·연구소를 광주광역시로 이전할 계획이 있는 AI 기업 \
③ 인공지능 집적단지 조성사업 참여기업. 우선 지원 요건은 제출한 증빙 서류를 검토해 확인합니다. \
경기도 광주시는 광주광역시가 아니므로 해당하지 않습니다.

마감 시각(한국 시간)이 지나면 신청서를 제출할 수 없습니다."""

HISTORIC_CALL_DESCRIPTION = """\
인공지능산업융합사업단이 2021년 4월 15일부터 국가 AI 데이터센터의 자원을 지원합니다. \
고성능 컴퓨팅 자원, AI 개발환경, 데이터레이크와 SaaS 형태의 AI 서비스로 제품 개발부터 \
상용 서비스 검증까지 지원합니다. 2021년 자원 규모는 연산 8.85 PF(A100 GPU 5.5 PF), 스토리지 10.7 PB입니다.

지원 대상: 학습·추론·분석용 모델과 알고리즘을 개발하는 AI 중견·중소·벤처기업, 공공기관과 대학교. \
약 100개 기관을 선정합니다.

우선 지원: ① 광주 소재 AI 기업 ② 본사·지사·연구소의 광주 이전 계획이 있는 AI 기업 \
③ 인공지능 집적단지 사업 참여기업."""

CURRENT_CALL_DESCRIPTION = """\
지금 서비스 기간 중인 공고입니다. 선정된 기관이 GPU·CPU·스토리지와 AI 개발환경을 이용하고 있으며, \
자원이 부족해 선정되지 못한 기관은 순위대로 대기 중입니다.

우선 지원: ① 광주 소재 AI 기업 ② 본사·지사·연구소의 광주 이전 계획이 있는 AI 기업 \
③ 인공지능 집적단지 사업 참여기업."""

PILOT_CALL_DESCRIPTION = """\
정식 서비스에 앞서 자원이 시급한 11개 기관을 대상으로 2021년 2월 15일부터 3월 31일까지 \
시범 서비스를 운영합니다.

참여 기관의 설문과 만족도 조사 결과로 이용자 교육과 자원 할당 절차를 개선합니다."""


@dataclass(frozen=True)
class CallSpec:
    title: str
    description: str
    opens_at: datetime
    deadline: datetime
    service_starts_on: date
    service_ends_on: date
    selection_target: int
    is_pilot: bool
    maxima: dict[str, int]
    # The last moment a seeded application may have been submitted: the deadline, or now.
    submitted_until: datetime
    # A re-run moves the call to the present (the open call); decided calls keep their dates.
    redate: bool = False
    # Requested quantities are the sample quantities times this, per kind (a larger call).
    scale: dict[str, int] | None = None


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SEOUL)


def _months_later(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def call_specs(now: datetime) -> dict[str, CallSpec]:
    """The three demo calls; the open one is placed around ``now``."""
    today = now.astimezone(SEOUL).date()
    service_starts_on = today + timedelta(days=30)
    return {
        "open": CallSpec(
            title=OPEN_CALL_TITLE,
            description=OPEN_CALL_DESCRIPTION,
            opens_at=(now - timedelta(days=1)).replace(second=0, microsecond=0),
            deadline=_at(today + timedelta(days=14), 18),
            service_starts_on=service_starts_on,
            service_ends_on=_months_later(service_starts_on, 6) - timedelta(days=1),
            selection_target=100,
            is_pilot=False,
            maxima=FULL_MAXIMA,
            submitted_until=now,
            redate=True,
        ),
        "current": CallSpec(
            title=CURRENT_CALL_TITLE,
            description=CURRENT_CALL_DESCRIPTION,
            opens_at=_at(today - timedelta(days=200), 9),
            deadline=_at(today - timedelta(days=180), 18),
            service_starts_on=today - timedelta(days=165),
            service_ends_on=today + timedelta(days=60),
            selection_target=100,
            is_pilot=False,
            maxima=CURRENT_MAXIMA,
            submitted_until=_at(today - timedelta(days=180), 18),
            scale=CURRENT_SCALE,
        ),
        "historic": CallSpec(
            title=HISTORIC_CALL_TITLE,
            description=HISTORIC_CALL_DESCRIPTION,
            opens_at=_at(date(2021, 3, 12), 9),
            deadline=_at(date(2021, 4, 3), 18),
            service_starts_on=date(2021, 4, 15),
            service_ends_on=date(2021, 12, 31),
            selection_target=100,
            is_pilot=False,
            maxima=FULL_MAXIMA,
            submitted_until=_at(date(2021, 4, 3), 18),
        ),
        "pilot": CallSpec(
            title=PILOT_CALL_TITLE,
            description=PILOT_CALL_DESCRIPTION,
            opens_at=_at(date(2021, 1, 25), 9),
            deadline=_at(date(2021, 2, 10), 18),
            service_starts_on=date(2021, 2, 15),
            service_ends_on=date(2021, 3, 31),
            selection_target=11,
            is_pilot=True,
            maxima=PILOT_MAXIMA,
            submitted_until=_at(date(2021, 2, 10), 18),
        ),
    }


# --- Sample organisations -----------------------------------------------------------------------

HISTORIC_APPLICANTS = 100
PILOT_APPLICANTS = 11
OPEN_CALL_APPLICANTS = 30
CURRENT_CALL_APPLICANTS = 100

DEMO_ORGANIZATION_NAME = "데모 AI 주식회사"
DEMO_ORGANIZATION_ADDRESS = "광주광역시 북구 첨단과기로 123"
DEMO_ORGANIZATION_NUMBER = "410812021" + str(check_digit("410812021"))

# 111 slots: Gwangju about 40 %, then the capital area, then the rest of the country. Two slots
# are in 경기도 광주시, a city of Gyeonggi-do that is not Gwangju.
REGION_SLOTS = (
    ("gwangju", 44),
    ("seoul", 20),
    ("gyeonggi", 16),
    ("gyeonggi_gwangju_si", 2),
    ("daejeon", 6),
    ("jeonnam", 5),
    ("busan", 4),
    ("daegu", 3),
    ("ulsan", 3),
    ("sejong", 2),
    ("chungbuk", 2),
    ("jeonbuk", 2),
    ("jeju", 1),
    ("gangwon", 1),
)

# Road names (fictitious building numbers are added); each starts with its province's name.
STREETS = {
    "gwangju": (
        "광주광역시 북구 첨단과기로",
        "광주광역시 북구 첨단과기로208번길",
        "광주광역시 북구 첨단벤처로",
        "광주광역시 북구 용봉로",
        "광주광역시 광산구 첨단중앙로",
        "광주광역시 광산구 하남산단6번로",
        "광주광역시 남구 송암로",
        "광주광역시 동구 금남로",
        "광주광역시 서구 상무중앙로",
    ),
    "seoul": (
        "서울특별시 강남구 테헤란로",
        "서울특별시 서초구 강남대로",
        "서울특별시 마포구 월드컵북로",
        "서울특별시 구로구 디지털로",
        "서울특별시 금천구 가산디지털1로",
        "서울특별시 성동구 왕십리로",
    ),
    "gyeonggi": (
        "경기도 성남시 분당구 판교역로",
        "경기도 성남시 분당구 대왕판교로",
        "경기도 수원시 영통구 광교로",
        "경기도 안양시 동안구 시민대로",
        "경기도 용인시 기흥구 흥덕중앙로",
        "경기도 화성시 동탄대로",
    ),
    "gyeonggi_gwangju_si": ("경기도 광주시 경안로", "경기도 광주시 오포읍 문형산길"),
    "daejeon": ("대전광역시 유성구 대덕대로", "대전광역시 유성구 가정로", "대전광역시 유성구 엑스포로"),
    "jeonnam": ("전라남도 나주시 빛가람로", "전라남도 나주시 전력로", "전라남도 목포시 영산로"),
    "busan": ("부산광역시 해운대구 센텀중앙로", "부산광역시 강서구 녹산산단로"),
    "daegu": ("대구광역시 동구 동대구로", "대구광역시 북구 호국로"),
    "ulsan": ("울산광역시 남구 삼산로", "울산광역시 북구 산업로"),
    "sejong": ("세종특별자치시 한누리대로", "세종특별자치시 갈매로"),
    "chungbuk": ("충청북도 청주시 흥덕구 오송생명로", "충청북도 청주시 청원구 오창읍 과학산업로"),
    "jeonbuk": ("전북특별자치도 전주시 덕진구 기린대로", "전북특별자치도 군산시 새만금북로"),
    "jeju": ("제주특별자치도 제주시 첨단로",),
    "gangwon": ("강원특별자치도 춘천시 퇴계로",),
}
SLOT_REGIONS = {slot: Region(slot) for slot in STREETS if slot in Region.values} | {
    "gyeonggi_gwangju_si": Region.GYEONGGI
}

ORG_TYPES = (
    (Organization.Type.SME, 45, (10, 300)),
    (Organization.Type.VENTURE, 30, (3, 60)),
    (Organization.Type.MID_SIZED, 10, (300, 900)),
    (Organization.Type.PUBLIC, 8, (50, 600)),
    (Organization.Type.UNIVERSITY, 7, (100, 900)),
)
INDUSTRIES = (
    (Industry.AUTOMOTIVE, 18),
    (Industry.ENERGY, 18),
    (Industry.HEALTHCARE, 18),
    (Industry.CULTURAL_CONTENT, 16),
    (Industry.OTHER, 30),
)

NAME_STEMS = (
    "빛고을", "첨단", "무등", "한빛", "새빛", "누리", "다온", "가온", "미르", "별빛", "바른", "아라",
    "솔빛", "푸른", "해솔", "나래", "라온", "한결", "다솜", "은하", "이음", "온새", "하람", "예담",
)  # fmt: skip
NAME_ENDINGS = {
    Industry.AUTOMOTIVE: ("모빌리티", "오토텍", "드라이브", "비전"),
    Industry.ENERGY: ("에너지", "파워", "그리드", "솔라"),
    Industry.HEALTHCARE: ("헬스케어", "메디컬", "바이오", "메디랩"),
    Industry.CULTURAL_CONTENT: ("미디어", "스튜디오", "콘텐츠", "사운드"),
    Industry.OTHER: ("에이아이", "데이터", "랩스", "소프트", "인텔리전스", "로보틱스"),
}
COMPANY_FORMS = ("주식회사 {}", "(주){}", "{} 주식회사", "{}(주)")
UNIVERSITY_STEMS = (
    "빛고을", "무등과학", "영산강", "남도공과", "새빛", "한누리", "아라", "하늘빛", "서해", "첨단과학", "누리",
    "해오름", "한결", "가람", "미래융합",
)  # fmt: skip
PUBLIC_FIELDS = {
    Industry.AUTOMOTIVE: ("미래모빌리티", "자동차데이터"),
    Industry.ENERGY: ("에너지데이터", "스마트그리드"),
    Industry.HEALTHCARE: ("의료영상", "디지털헬스"),
    Industry.CULTURAL_CONTENT: ("문화콘텐츠데이터", "실감미디어"),
    Industry.OTHER: ("인공지능융합", "산업데이터", "지능정보"),
}


@dataclass(frozen=True)
class OrganizationSpec:
    legal_name: str
    org_type: str
    registration_number: str
    region: str
    address: str
    industry: str
    employees: int


def _registration_number(rng: random.Random, org_type: str) -> str:
    """A valid number: tax-office code, a corporate type code (82: non-profit), serial, check digit.

    Serials start at 1000, away from the 0000–0999 range that ``tests.factories`` uses.
    """
    non_profit = org_type in (Organization.Type.PUBLIC, Organization.Type.UNIVERSITY)
    type_code = "82" if non_profit else rng.choice(("81", "81", "86"))
    first_nine = f"{rng.randint(101, 899)}{type_code}{rng.randint(1000, 9999)}"
    return first_nine + str(check_digit(first_nine))


def _legal_name(rng: random.Random, org_type: str, industry: str) -> str:
    if org_type == Organization.Type.UNIVERSITY:
        return f"{rng.choice(UNIVERSITY_STEMS)}대학교 산학협력단"
    if org_type == Organization.Type.PUBLIC:
        prefix, field, suffix = (
            rng.choice(("한국", "국가")),
            rng.choice(PUBLIC_FIELDS[industry]),
            rng.choice(("연구원", "진흥원")),
        )
        return prefix + field + suffix
    return rng.choice(COMPANY_FORMS).format(rng.choice(NAME_STEMS) + rng.choice(NAME_ENDINGS[industry]))


def _brand(legal_name: str) -> str:
    """The name without its corporate form: (주)빛고을에너지 and 빛고을에너지 주식회사 are one brand."""
    return legal_name.replace("주식회사", "").replace("(주)", "").strip()


def sample_organizations(rng: random.Random) -> list[OrganizationSpec]:
    """The 111 fictitious organisations, always the same ones for the same ``rng`` state."""
    slots = [slot for slot, count in REGION_SLOTS for _ in range(count)]
    rng.shuffle(slots)
    brands: set[str] = {_brand(DEMO_ORGANIZATION_NAME)}
    numbers: set[str] = {DEMO_ORGANIZATION_NUMBER}
    organizations = []
    for slot in slots:
        (org_type, _weight, (fewest, most)) = rng.choices(ORG_TYPES, weights=[t[1] for t in ORG_TYPES])[0]
        industry = rng.choices([i for i, _ in INDUSTRIES], weights=[w for _, w in INDUSTRIES])[0]
        name = _legal_name(rng, org_type, industry)
        for _attempt in range(20):
            if _brand(name) not in brands:
                break
            name = _legal_name(rng, org_type, industry)
        else:  # the name lists ran out for this kind of organisation: number it
            name = f"{name} {len(organizations) + 1}"
        number = _registration_number(rng, org_type)
        while number in numbers:
            number = _registration_number(rng, org_type)
        brands.add(_brand(name))
        numbers.add(number)
        organizations.append(
            OrganizationSpec(
                legal_name=name,
                org_type=org_type,
                registration_number=number,
                region=SLOT_REGIONS[slot],
                address=f"{rng.choice(STREETS[slot])} {rng.randint(1, 350)}",
                industry=industry,
                employees=rng.randint(fewest, most),
            )
        )
    return organizations


# --- Applications -------------------------------------------------------------------------------

PURPOSES = ((Purpose.TRAINING, 5), (Purpose.INFERENCE, 3), (Purpose.ANALYTICS, 2))
PURPOSE_WORDS = {
    Purpose.TRAINING: "모델 학습",
    Purpose.INFERENCE: "추론 서비스 구축",
    Purpose.ANALYTICS: "데이터 분석",
}
TOPICS = {
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
OUTCOMES = {
    Industry.AUTOMOTIVE: "완성차·부품 기업과 실증해 검사 정확도와 주행 안전성을 높입니다.",
    Industry.ENERGY: "발전·전력 설비의 운영 비용을 줄이고 예측 정확도를 높입니다.",
    Industry.HEALTHCARE: "의료진의 판독 시간을 줄이고 진단 보조 서비스를 상용화합니다.",
    Industry.CULTURAL_CONTENT: "콘텐츠 제작 기간을 줄이고 새 서비스를 출시합니다.",
    Industry.OTHER: "현장 적용으로 업무 효율을 높이고 AI 서비스를 상용화합니다.",
}
QUANTITIES = {
    Kind.GPU: (1, 2, 2, 4, 4, 8),
    Kind.CPU: (16, 32, 64, 128, 256),
    Kind.STORAGE: (5, 10, 20, 50, 100),
    Kind.AI_DEV_ENV: (1, 2, 3, 5, 10),
    Kind.DATA_LAKE: (5, 10, 20, 50),
    Kind.SAAS: (2, 5, 10, 20),
}
OFFERING_NAMES = {kind: name for kind, name, _unit, _description in OFFERINGS}
RELOCATION_WORDS = {
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
    organization: int  # index into the sample organisations
    call: str  # key into call_specs()
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


def _application(
    rng: random.Random, index: int, organization: OrganizationSpec, key: str, call: CallSpec
) -> ApplicationSpec:
    purpose = rng.choices([p for p, _ in PURPOSES], weights=[w for _, w in PURPOSES])[0]
    topic = rng.choice(TOPICS[organization.industry])
    window = call.submitted_until - call.opens_at
    created_at = call.opens_at + window * rng.uniform(0.02, 0.7)
    submitted_at = created_at + (call.submitted_until - created_at) * rng.uniform(0.1, 0.95)
    items = _items(rng, call, purpose)
    return ApplicationSpec(
        organization=index,
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
        applications.append(_application(rng, index, organization, key, calls[key]))
    for index in sorted(rng.sample(range(len(organizations)), OPEN_CALL_APPLICANTS)):
        applications.append(_application(rng, index, organizations[index], "open", calls["open"]))
    for index in sorted(rng.sample(range(len(organizations)), CURRENT_CALL_APPLICANTS)):
        applications.append(_application(rng, index, organizations[index], "current", calls["current"]))
    return applications


# --- Writing it ---------------------------------------------------------------------------------


def _seed_offerings() -> dict[str, Offering]:
    offerings = {}
    for kind, name, unit, description in OFFERINGS:
        offerings[kind], _created = Offering.objects.get_or_create(
            name=name, defaults={"kind": kind, "unit": unit, "description": description}
        )
    return offerings


def _seed_call(spec: CallSpec, offerings: dict[str, Offering]) -> tuple[Call, Call | None]:
    """The call, created or with its dates reset to ``spec``; and the call as it was before, if any.

    A call that is not re-dated is left as the first run made it (its decisions hang on its dates).
    """
    before = Call.objects.filter(title=spec.title).first()
    if before is not None and not spec.redate:
        return before, None
    call, _created = Call.objects.update_or_create(
        title=spec.title,
        defaults={
            "description": spec.description,
            "opens_at": spec.opens_at,
            "deadline": spec.deadline,
            "service_starts_on": spec.service_starts_on,
            "service_ends_on": spec.service_ends_on,
            "selection_target": spec.selection_target,
            "is_pilot": spec.is_pilot,
        },
    )
    for kind, maximum in spec.maxima.items():
        CallOffering.objects.get_or_create(
            call=call, offering=offerings[kind], defaults={"max_per_application": maximum}
        )
    return call, before


def _move_seeded_applications(call: Call, before: Call, organizations: list[Organization]) -> None:
    """Shift the seeded applications of a re-dated call with it, so that they stay inside its window.

    Only the sample organisations' applications move: what a demo user entered is left alone.
    """
    shift = call.opens_at - before.opens_at
    day_shift = call.service_starts_on - before.service_starts_on
    if not shift and not day_shift:
        return
    applications = list(Application.objects.filter(call=call, organization__in=organizations))
    for application in applications:
        application.created_at += shift
        application.updated_at += shift
        if application.submitted_at:
            application.submitted_at += shift
    Application.objects.bulk_update(applications, ["created_at", "updated_at", "submitted_at"])
    transitions = list(ApplicationTransition.objects.filter(application__in=applications))
    for transition in transitions:
        transition.created_at += shift
    ApplicationTransition.objects.bulk_update(transitions, ["created_at"])
    items = list(ApplicationItem.objects.filter(application__in=applications))
    for item in items:
        item.starts_on = min(item.starts_on + day_shift, call.service_ends_on)
        item.ends_on = min(item.ends_on + day_shift, call.service_ends_on)
    ApplicationItem.objects.bulk_update(items, ["starts_on", "ends_on"])
    claims = list(PriorityClaim.objects.filter(application__in=applications, relocation_planned_on__isnull=False))
    for claim in claims:
        claim.relocation_planned_on += day_shift
    PriorityClaim.objects.bulk_update(claims, ["relocation_planned_on"])


def _seed_organizations(specs: list[OrganizationSpec], registered_at: dict[str, datetime]) -> list[Organization]:
    """The sample organisations in the order of ``specs``, creating those that do not exist yet
    as registered at ``registered_at[registration_number]``."""
    numbers = [spec.registration_number for spec in specs]
    existing = set(
        Organization.objects.filter(registration_number__in=numbers).values_list("registration_number", flat=True)
    )
    created = Organization.objects.bulk_create(
        Organization(
            legal_name=spec.legal_name,
            org_type=spec.org_type,
            registration_number=spec.registration_number,
            region=spec.region,
            address=spec.address,
            industry=spec.industry,
            employees=spec.employees,
        )
        for spec in specs
        if spec.registration_number not in existing
    )
    # bulk_create stamps auto_now_add fields with the present; bulk_update does not.
    for organization in created:
        organization.created_at = registered_at[organization.registration_number]
    Organization.objects.bulk_update(created, ["created_at"])
    by_number = {o.registration_number: o for o in Organization.objects.filter(registration_number__in=numbers)}
    return [by_number[number] for number in numbers]


def _seed_demo_organization() -> None:
    organization, _created = Organization.objects.get_or_create(
        registration_number=DEMO_ORGANIZATION_NUMBER,
        defaults={
            "legal_name": DEMO_ORGANIZATION_NAME,
            "org_type": Organization.Type.SME,
            "region": Region.GWANGJU,
            "address": DEMO_ORGANIZATION_ADDRESS,
            "industry": Industry.HEALTHCARE,
            "employees": 12,
        },
    )
    applicant_email = next(account.email for account in DEMO_ACCOUNTS if account.role == "applicant")
    applicant = User.objects.filter(email=applicant_email).first()
    if applicant is not None:  # seed_demo_accounts() runs first in the seed_demo command
        Membership.objects.update_or_create(
            organization=organization, user=applicant, defaults={"role": Membership.Role.OWNER}
        )


def _seed_applications(
    specs: list[ApplicationSpec],
    organizations: list[Organization],
    calls: dict[str, Call],
    offerings: dict[str, Offering],
) -> None:
    """Create the applications that do not exist yet, with their items, claims and history.

    Status and submission time are editable=False and normally set by ``application_submit``;
    seed data describes applications submitted in the past, so it sets them directly.
    """
    existing = set(
        Application.objects.filter(call__in=calls.values(), organization__in=organizations).values_list(
            "organization_id", "call_id"
        )
    )
    missing = [spec for spec in specs if (organizations[spec.organization].pk, calls[spec.call].pk) not in existing]
    applications = Application.objects.bulk_create(
        Application(
            organization=organizations[spec.organization],
            call=calls[spec.call],
            status=Application.Status.SUBMITTED,
            submitted_at=spec.submitted_at,
            purpose=spec.purpose,
            project_title=spec.project_title,
            summary=spec.summary,
            plan=spec.plan,
            expected_outcome=spec.expected_outcome,
            industry_domain=organizations[spec.organization].industry,
        )
        for spec in missing
    )
    # As for organisations: the seeded history gets its own times, not the present.
    for application, spec in zip(applications, missing, strict=True):
        application.created_at = spec.created_at
        application.updated_at = spec.submitted_at
    Application.objects.bulk_update(applications, ["created_at", "updated_at"])

    ApplicationItem.objects.bulk_create(
        ApplicationItem(
            application=application,
            offering=offerings[item.kind],
            quantity=item.quantity,
            starts_on=item.starts_on,
            ends_on=item.ends_on,
        )
        for application, spec in zip(applications, missing, strict=True)
        for item in spec.items
    )
    PriorityClaim.objects.bulk_create(
        PriorityClaim(
            application=application,
            kind=claim.kind,
            details=claim.details,
            relocation_target=claim.relocation_target,
            relocation_planned_on=claim.relocation_planned_on,
        )
        for application, spec in zip(applications, missing, strict=True)
        for claim in spec.claims
    )
    ApplicationTransition.objects.bulk_create(
        transition
        for application, spec in zip(applications, missing, strict=True)
        for transition in (
            ApplicationTransition(
                application=application,
                actor=None,
                from_status="",
                to_status=Application.Status.DRAFT,
                created_at=spec.created_at,
            ),
            ApplicationTransition(
                application=application,
                actor=None,
                from_status=Application.Status.DRAFT,
                to_status=Application.Status.SUBMITTED,
                created_at=spec.submitted_at,
            ),
        )
    )


@transaction.atomic
def seed_demo_calls() -> DemoSummary:
    """Create the demo offerings, calls, organisations and applications; reopen the open call.

    Idempotent: a second run creates no row; it only moves the open call (and its seeded queue)
    so that it is open again.
    """
    now = timezone.now()
    rng = random.Random(SEED)
    organization_specs = sample_organizations(rng)
    specs = call_specs(now)
    application_specs = sample_applications(rng, organization_specs, specs)

    # A sample organisation registered shortly before its first application.
    registered_at: dict[str, datetime] = {}
    for spec in application_specs:
        number = organization_specs[spec.organization].registration_number
        registered_at[number] = min(spec.created_at - timedelta(hours=2), registered_at.get(number, spec.created_at))

    offerings = _seed_offerings()
    organizations = _seed_organizations(organization_specs, registered_at)
    _seed_demo_organization()
    calls = {}
    for key, spec in specs.items():
        calls[key], before = _seed_call(spec, offerings)
        if before is not None:
            _move_seeded_applications(calls[key], before, organizations)
    _seed_applications(application_specs, organizations, calls, offerings)

    return DemoSummary(
        offerings=len(offerings),
        calls=len(calls),
        organizations=len(organizations) + 1,  # and the demo organisation
        applications=Application.objects.filter(call__in=calls.values(), organization__in=organizations).count(),
    )
