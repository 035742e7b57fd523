"""An organisation's identity (legal name, registration number, type) is fixed for its owners once
an application of it is decided; staff correct it in the admin, with a reason, recorded
(security review, finding 5)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application, Organization, OrganizationIdentityChange
from tests.factories import ApplicationFactory, business_number

pytestmark = pytest.mark.django_db

IDENTITY_CHANGES = {
    "legal_name": {"legal_name": "Completely different company"},
    "registration_number": {"registration_number": business_number(999001)},
    "org_type": {"org_type": Organization.Type.PUBLIC},
}


def decided(organization, status):
    return ApplicationFactory(organization=organization, status=status, submitted_at=timezone.now())


@pytest.mark.parametrize("status", ["approved", "waitlisted", "rejected"])
@pytest.mark.parametrize("field", list(IDENTITY_CHANGES))
def test_the_owner_cannot_change_the_identity_after_a_decision(applicant, organization, status, field):
    decided(organization, status)
    before = Organization.objects.values(field).get(pk=organization.pk)

    with pytest.raises(services.IdentityFrozen):
        services.organization_update(actor=applicant, organization=organization, fields=IDENTITY_CHANGES[field])

    assert Organization.objects.values(field).get(pk=organization.pk) == before


@pytest.mark.parametrize("status", ["draft", "submitted", "withdrawn"])
def test_the_owner_changes_the_identity_until_a_decision_and_it_is_recorded(applicant, organization, status):
    decided(organization, status)

    services.organization_update(actor=applicant, organization=organization, fields={"legal_name": "광주 AI 유한회사"})

    organization.refresh_from_db()
    assert organization.legal_name == "광주 AI 유한회사"
    [change] = OrganizationIdentityChange.objects.filter(organization=organization)
    assert change.actor == applicant
    assert "legal_name: 광주 AI 주식회사" in change.before and "legal_name: 광주 AI 유한회사" in change.after


def test_the_rest_of_the_profile_stays_editable_after_a_decision(applicant, organization):
    decided(organization, Application.Status.APPROVED)

    services.organization_update(
        actor=applicant,
        organization=organization,
        fields={"legal_name": organization.legal_name, "employees": 40, "address": "광주광역시 남구 1"},
    )

    organization.refresh_from_db()
    assert (organization.employees, organization.address) == (40, "광주광역시 남구 1")
    assert not OrganizationIdentityChange.objects.exists()


def test_the_form_shows_the_identity_read_only_and_says_why(client, applicant, organization):
    decided(organization, Application.Status.APPROVED)
    client.force_login(applicant)
    url = reverse("organization_edit", args=[organization.pk])

    page = client.get(url)
    form = page.context["form"]
    assert all(form.fields[name].disabled for name in Organization.IDENTITY_FIELDS)
    assert "사업자등록증을 첨부해 포털 운영자에게" in page.content.decode()

    posted = {
        "legal_name": "Completely different company",
        "org_type": "public",
        "registration_number": business_number(999001),
        "region": organization.region,
        "address": organization.address,
        "industry": organization.industry,
        "employees": "30",
        "website": "",
    }
    response = client.post(url, posted)

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.legal_name == "광주 AI 주식회사" and organization.org_type == "sme"
    assert organization.employees == 30


def test_staff_correct_the_identity_in_the_admin_with_a_reason(client, superuser, organization):
    decided(organization, Application.Status.APPROVED)
    client.force_login(superuser)
    url = reverse("admin:applications_organization_change", args=[organization.pk])
    page = client.get(url)
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if key in page.context["adminform"].form.fields and value is not None
    }
    data.update(
        {
            "legal_name": "광주 AI 주식회사 (정정)",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "identity_changes-TOTAL_FORMS": "0",
            "identity_changes-INITIAL_FORMS": "0",
        }
    )
    data["listed_publicly"] = "" if not data.get("listed_publicly") else "on"

    without_reason = client.post(url, data)
    assert without_reason.status_code == 200  # the form asks for a reason
    organization.refresh_from_db()
    assert organization.legal_name == "광주 AI 주식회사"

    response = client.post(url, {**data, "identity_change_reason": "사업자등록증 확인"})

    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.legal_name == "광주 AI 주식회사 (정정)"
    [change] = OrganizationIdentityChange.objects.filter(organization=organization)
    assert (change.actor, change.reason) == (superuser, "사업자등록증 확인")
    assert "광주 AI 주식회사 (정정)" in client.get(url).content.decode()


def test_the_identity_correction_service_needs_the_permission_and_a_reason(applicant, superuser, organization):
    decided(organization, Application.Status.APPROVED)

    with pytest.raises(services.NotAllowed):
        services.organization_correct_identity(
            actor=applicant, organization=organization, fields={"legal_name": "X"}, reason="because"
        )
    with pytest.raises(services.ApplicationError):
        services.organization_correct_identity(
            actor=superuser, organization=organization, fields={"legal_name": "X"}, reason=" "
        )
    assert not OrganizationIdentityChange.objects.exists()
