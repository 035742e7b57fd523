"""The sample organisations: 111 fictitious applicants, and 데모 AI 주식회사 of the demo applicant.

The sample organisations are built from a fixed random seed, so every run describes the same
ones, found again by registration number. Gwangju holds about 40 % of them, then the capital
area and the rest of the country; two are in 경기도 광주시, a city of Gyeonggi-do that is not
Gwangju.

Each registers as an applicant does (``organization_create``), by its owner: the sample
organisations' people are fictitious, so each owner is an account without a password that an
operator has deactivated. The services act for them all the same (membership is what they
check), and the portal e-mails nobody: ``members_to_notify`` skips inactive accounts, so seeding
fills no mailbox.
"""

import random
from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from applications.business_number import check_digit
from applications.models import Industry, Membership, Organization
from applications.regions import Region
from applications.services import organization_create
from demo.timeline import Timeline


@dataclass(frozen=True)
class OrganizationSpec:
    legal_name: str
    org_type: str
    registration_number: str
    region: str
    address: str
    industry: str
    employees: int

    def profile(self) -> dict:
        """The organisation's profile as the applicant's form gives it to ``organization_create``."""
        return {
            "legal_name": self.legal_name,
            "org_type": self.org_type,
            "registration_number": self.registration_number,
            "region": self.region,
            "address": self.address,
            "industry": self.industry,
            "employees": self.employees,
            "website": "",
            "listed_publicly": False,
        }


DEMO_ORGANIZATION = OrganizationSpec(
    legal_name="데모 AI 주식회사",
    org_type=Organization.Type.SME,
    registration_number="410812021" + str(check_digit("410812021")),
    region=Region.GWANGJU,
    address="광주광역시 북구 첨단과기로 123",
    industry=Industry.HEALTHCARE,
    employees=12,
)

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
NAME_ENDINGS: dict[str, tuple[str, ...]] = {
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
PUBLIC_FIELDS: dict[str, tuple[str, ...]] = {
    Industry.AUTOMOTIVE: ("미래모빌리티", "자동차데이터"),
    Industry.ENERGY: ("에너지데이터", "스마트그리드"),
    Industry.HEALTHCARE: ("의료영상", "디지털헬스"),
    Industry.CULTURAL_CONTENT: ("문화콘텐츠데이터", "실감미디어"),
    Industry.OTHER: ("인공지능융합", "산업데이터", "지능정보"),
}


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
    brands: set[str] = {_brand(DEMO_ORGANIZATION.legal_name)}
    numbers: set[str] = {DEMO_ORGANIZATION.registration_number}
    organizations: list[OrganizationSpec] = []
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


# --- Registering -------------------------------------------------------------------------------


def owner_email(spec: OrganizationSpec) -> str:
    return f"owner-{spec.registration_number}@sample.portal.test"


def registered(spec: OrganizationSpec, *, timeline: Timeline, at: datetime, owner: User | None = None) -> Organization:
    """The organisation of ``spec``; one not registered yet registers at ``at``, by ``owner`` (the
    demo applicant for 데모 AI 주식회사), or else by a deactivated owner of its own (see above)."""
    organization = Organization.objects.filter(registration_number=spec.registration_number).first()
    if organization is not None:
        return organization
    with timeline.at(at):
        if owner is None:
            owner = User.objects.filter(email=owner_email(spec)).first() or User.objects.create_user(
                email=owner_email(spec), password=None, is_active=False
            )
        return organization_create(actor=owner, fields=spec.profile())


def owner_of(organization: Organization) -> User:
    """The member who acts for the organisation in the demo: its owner."""
    return Membership.objects.select_related("user").get(organization=organization, role=Membership.Role.OWNER).user
