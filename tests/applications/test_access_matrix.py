"""Who reaches which organisation, application and attachment by its id: the cases beyond the
project-wide table of every URL and role (tests/security/access_table.py).

Members of the organisation (its owner and plain members) reach its pages; the profile's edit
form is the owner's alone. Everyone else gets 404 (not 403: an id must not reveal that the object
exists) and changes nothing; anonymous visitors are sent to the login page.
"""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.models import (
    Application,
    Invitation,
    Membership,
    Organization,
    PriorityClaim,
)
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import make_user
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(organization):
    """A plain (non-owner) member of the applicant's organisation."""
    user = make_user("member@example.kr")
    MembershipFactory(organization=organization, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def actors(applicant, member, other_org_applicant, other_organization):
    return {"owner": applicant, "member": member, "outsider": other_org_applicant, "anonymous": None}


@pytest.fixture
def target(settings, tmp_path, applicant, open_call, organization):
    """The applicant organisation's draft, with a certificate and a claim with evidence."""
    settings.MEDIA_ROOT = tmp_path
    application = services.application_start(actor=applicant, call=open_call, organization=organization)
    application.business_certificate = SimpleUploadedFile("certificate.pdf", MINIMAL_PDF)
    application.save()
    claim = PriorityClaim.objects.create(
        application=application,
        kind=PriorityClaim.Kind.GWANGJU_LOCATED,
        details="광주광역시 북구 본사",
        evidence=SimpleUploadedFile("lease.pdf", MINIMAL_PDF),
    )
    return SimpleNamespace(organization=organization, application=application, claim=claim, call=open_call)


def organization_form_data(organization: Organization, **changes) -> dict:
    return {
        "legal_name": organization.legal_name,
        "org_type": organization.org_type,
        "registration_number": organization.registration_number,
        "region": organization.region,
        "address": organization.address,
        "industry": organization.industry,
        "employees": str(organization.employees),
        "website": organization.website,
        **changes,
    }


def request_for(route: str, target: SimpleNamespace) -> tuple[str, dict]:
    """The URL of ``route`` for the target's objects and a POST that would change them."""
    if route == "claim_evidence":
        return reverse(route, args=[target.claim.pk]), {}
    if route == "call_apply":
        return reverse(route, args=[target.call.pk]), {"organization": target.organization.pk}
    if route.startswith("organization_"):
        data = {
            "organization_edit": organization_form_data(target.organization, legal_name="탈취된 기관"),
            "organization_invite": {"email": "intruder@example.kr"},
        }.get(route, {})
        return reverse(route, args=[target.organization.pk]), data
    if route == "application_step":
        return reverse(route, args=[target.application.pk, "project"]), {"project_title": "바뀐 제목"}
    data = {"application_withdraw": {"reason": "바꿔치기"}}.get(route, {})
    return reverse(route, args=[target.application.pk]), data


def test_an_outsider_cannot_start_an_application_for_an_organisation_they_do_not_belong_to(
    client, other_org_applicant, other_organization, organization, open_call
):
    client.force_login(other_org_applicant)

    response = client.post(reverse("call_apply", args=[open_call.pk]), {"organization": organization.pk})

    assert response.status_code == 404
    assert not Application.objects.exists()


def test_an_outsider_can_still_apply_for_their_own_organisation(
    client, other_org_applicant, other_organization, organization, open_call
):
    client.force_login(other_org_applicant)

    response = client.post(reverse("call_apply", args=[open_call.pk]), {"organization": other_organization.pk})

    application = Application.objects.get()
    assert application.organization == other_organization
    assert response.status_code == 302
    assert response["Location"] == reverse("application_edit", args=[application.pk])


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({}, id="absent"),
        pytest.param({"organization": ""}, id="empty"),
        pytest.param({"organization": "999999"}, id="unknown"),
        pytest.param({"organization": "not-a-number"}, id="not-a-number"),
    ],
)
def test_applying_with_a_missing_or_malformed_organisation_id_is_not_found(
    client, applicant, organization, open_call, form
):
    client.force_login(applicant)

    response = client.post(reverse("call_apply", args=[open_call.pk]), form)

    assert response.status_code == 404
    assert not Application.objects.exists()


def test_a_plain_member_cannot_invite_anyone(client, member, target):
    client.force_login(member)

    response = client.post(reverse("organization_invite", args=[target.organization.pk]), {"email": "x@example.kr"})

    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_the_owner_can_invite_a_new_member(client, applicant, target):
    client.force_login(applicant)

    client.post(reverse("organization_invite", args=[target.organization.pk]), {"email": "new@example.kr"})

    assert list(Invitation.objects.values_list("organization", "email")) == [(target.organization.pk, "new@example.kr")]


@pytest.mark.parametrize("actor", ["owner", "member"])
def test_members_can_change_and_withdraw_the_draft(client, actors, target, actor):
    client.force_login(actors[actor])
    url, data = request_for("application_step", target)

    client.post(url, data)
    url, data = request_for("application_withdraw", target)
    client.post(url, data)

    target.application.refresh_from_db()
    assert target.application.project_title == "바뀐 제목"
    assert target.application.status == Application.Status.WITHDRAWN
