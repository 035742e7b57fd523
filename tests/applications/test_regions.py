import pytest
from django.urls import reverse

from applications.forms import OrganizationForm
from applications.models import Organization
from applications.regions import Region, region_from_address
from tests.factories import OrganizationFactory, business_number


@pytest.mark.parametrize(
    ("address", "region"),
    [
        ("광주광역시 북구 첨단과기로 123", Region.GWANGJU),
        ("광주 광산구 하남산단6번로 107", Region.GWANGJU),
        ("경기도 광주시 오포읍 신현로 1", Region.GYEONGGI),
        ("경기 광주시 곤지암읍 2", Region.GYEONGGI),
        ("서울특별시 강남구 테헤란로 1", Region.SEOUL),
        ("전라남도 나주시 빛가람로 1", Region.JEONNAM),
        ("세종특별자치시 한누리대로 1", Region.SEJONG),
        ("북구 첨단과기로 123", None),
        ("", None),
    ],
)
def test_the_region_is_read_from_the_first_word_of_the_address(address, region):
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
