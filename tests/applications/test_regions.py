import pytest
from django.urls import reverse

from applications.forms import OrganizationForm
from applications.models import Organization
from applications.regions import Region, region_from_address
from tests.factories import OrganizationFactory, business_number

# Addresses as applicants write them, and the region (시·도) each is in.
ADDRESSES = [
    # Korean, official and short names
    ("광주광역시 북구 첨단과기로 123", Region.GWANGJU),
    ("광주 광산구 하남산단6번로 107", Region.GWANGJU),
    ("광주광역시북구 첨단과기로 123", Region.GWANGJU),
    ("광주시 북구 용봉로 77", Region.GWANGJU),
    ("광주시 광산구 첨단중앙로 1", Region.GWANGJU),
    ("경기도 광주시 오포읍 신현로 1", Region.GYEONGGI),
    ("경기 광주시 곤지암읍 2", Region.GYEONGGI),
    ("광주시 오포읍 문형산길 3", Region.GYEONGGI),
    ("광주시 경안로 10", Region.GYEONGGI),
    ("광주 오포읍 신현로 1", Region.GYEONGGI),
    ("광주 퇴촌면 1", Region.GYEONGGI),
    ("서울특별시 강남구 테헤란로 1", Region.SEOUL),
    ("서울 마포구 월드컵북로 1", Region.SEOUL),
    ("부산광역시 해운대구 센텀중앙로 1", Region.BUSAN),
    ("대구광역시 동구 동대구로 1", Region.DAEGU),
    ("인천광역시 연수구 송도과학로 1", Region.INCHEON),
    ("대전광역시 유성구 대덕대로 1", Region.DAEJEON),
    ("울산광역시 남구 삼산로 1", Region.ULSAN),
    ("세종특별자치시 한누리대로 1", Region.SEJONG),
    ("강원특별자치도 춘천시 퇴계로 1", Region.GANGWON),
    ("충청북도 청주시 흥덕구 오송생명로 1", Region.CHUNGBUK),
    ("충남 천안시 서북구 1", Region.CHUNGNAM),
    ("전북특별자치도 전주시 덕진구 기린대로 1", Region.JEONBUK),
    ("전라북도 군산시 새만금북로 1", Region.JEONBUK),
    ("전라남도 나주시 빛가람로 1", Region.JEONNAM),
    ("경상북도 포항시 남구 1", Region.GYEONGBUK),
    ("경남 창원시 성산구 1", Region.GYEONGNAM),
    ("제주특별자치도 제주시 첨단로 1", Region.JEJU),
    ("대한민국 광주광역시 북구 첨단과기로 123", Region.GWANGJU),
    # A postcode first
    ("(12345) 경기도 광주시 오포읍", Region.GYEONGGI),
    ("(61011) 광주광역시 북구 첨단과기로 123", Region.GWANGJU),
    ("[61011] 광주광역시 북구 첨단과기로 123", Region.GWANGJU),
    ("61011 광주광역시 북구 첨단과기로 123", Region.GWANGJU),
    ("우) 12780 경기도 광주시 경안로 1", Region.GYEONGGI),
    ("우편번호 06236 서울특별시 강남구 테헤란로 1", Region.SEOUL),
    ("(500-712) 광주광역시 북구 첨단과기로 123", Region.GWANGJU),
    ("(12345)경기도 광주시 오포읍", Region.GYEONGGI),
    # Romanised, in the English order
    ("Gwangju-si, Gyeonggi-do", Region.GYEONGGI),
    ("1 Sinhyeon-ro, Opo-eup, Gwangju-si, Gyeonggi-do 12780, Republic of Korea", Region.GYEONGGI),
    ("Gwangju-si", Region.GYEONGGI),
    ("123 Cheomdangwagi-ro, Buk-gu, Gwangju 61011, Republic of Korea", Region.GWANGJU),
    ("123, Cheomdangwagi-ro, Buk-gu, Gwangju, Korea", Region.GWANGJU),
    ("Buk-gu, Gwangju Metropolitan City", Region.GWANGJU),
    ("Gwangju-gwangyeoksi", Region.GWANGJU),
    ("1 Teheran-ro, Gangnam-gu, Seoul 06236", Region.SEOUL),
    ("Seongnam-si, Gyeonggi Province, South Korea", Region.GYEONGGI),
    ("Jeju-si, Jeju Special Self-Governing Province", Region.JEJU),
    # Nothing to go on
    ("북구 첨단과기로 123", None),
    ("Buk-gu", None),
    ("Seongnam-si", None),
    ("(12345)", None),
    ("", None),
]


@pytest.mark.parametrize(("address", "region"), ADDRESSES)
def test_the_region_is_read_from_the_address(address, region):
    assert region_from_address(address) == region


@pytest.mark.django_db
def test_an_organisation_in_gyeonggi_gwangju_si_is_not_in_gwangju():
    organization = OrganizationFactory(region=Region.GYEONGGI, address="경기도 광주시 오포읍 신현로 1")

    assert organization.is_in_gwangju is False


@pytest.mark.django_db
def test_an_organisation_in_gwangju_metropolitan_city_is_in_gwangju():
    assert OrganizationFactory(region=Region.GWANGJU).is_in_gwangju is True


def organization_data(**overrides):
    return {
        "legal_name": "오포 AI",
        "org_type": Organization.Type.SME,
        "registration_number": business_number(101010101),
        "region": Region.GWANGJU,
        "address": "경기도 광주시 오포읍 신현로 1",
        "industry": "energy",
        "employees": 10,
        "website": "",
        **overrides,
    }


@pytest.mark.django_db
def test_claiming_gwangju_with_an_address_in_gyeonggi_gwangju_si_is_refused_next_to_the_address():
    form = OrganizationForm(data=organization_data())

    assert not form.is_valid()
    assert list(form.errors) == ["address"]


@pytest.mark.django_db
def test_the_form_accepts_a_consistent_region_and_stores_the_number_normalised(client, applicant):
    client.force_login(applicant)
    number = business_number(202020202)
    formatted = f"{number[:3]}-{number[3:5]}-{number[5:]}"

    response = client.post(
        reverse("organization_create"),
        organization_data(region=Region.GYEONGGI, registration_number=formatted),
    )

    assert response.status_code == 302
    organization = Organization.objects.get()
    assert organization.registration_number == number
    assert organization.region == Region.GYEONGGI and not organization.is_in_gwangju
    assert organization.memberships.get().user == applicant
    assert organization.memberships.get().role == "owner"


@pytest.mark.django_db
def test_a_registration_number_is_unique_across_organisations(client, applicant):
    number = business_number(303030303)
    OrganizationFactory(registration_number=number)
    client.force_login(applicant)

    response = client.post(
        reverse("organization_create"), organization_data(region=Region.GYEONGGI, registration_number=number)
    )

    assert response.status_code == 200
    assert "registration_number" in response.context["form"].errors
    assert Organization.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address", ["(12345) 경기도 광주시 오포읍 신현로 1", "Gwangju-si, Gyeonggi-do", "광주시 오포읍 문형산길 3"]
)
def test_choosing_gwangju_for_an_address_in_gyeonggi_is_refused_whatever_the_address_starts_with(address):
    form = OrganizationForm(data=organization_data(address=address))

    assert not form.is_valid()
    assert list(form.errors) == ["address"]


@pytest.mark.django_db
def test_an_organisation_whose_address_is_in_gyeonggi_is_not_in_gwangju_whatever_region_it_holds():
    organization = OrganizationFactory(region=Region.GWANGJU, address="(12345) 경기도 광주시 오포읍 신현로 1")

    assert organization.is_in_gwangju is False
    assert organization.address_region == Region.GYEONGGI
