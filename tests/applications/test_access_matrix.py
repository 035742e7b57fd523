"""Who reaches which organisation, application and attachment by its id.

Members of the organisation (its owner and plain members) reach its pages; the profile's edit
form is the owner's alone. Everyone else gets 404 (not 403: an id must not reveal that the object
exists) and changes nothing; anonymous visitors are sent to the login page.
"""

from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.models import (
    Application,
    ApplicationItem,
    ApplicationTransition,
    Invitation,
    Membership,
    Organization,
    PriorityClaim,
)
from tests.applications.conftest import MINIMAL_PDF
from tests.conftest import make_user
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LOGIN = "login page"

# fmt: off
MATRIX = [
    # route                      method   owner  member  outsider            anonymous
    ("organization_detail",      "GET",   200,   200,    404,                LOGIN),
    ("organization_edit",        "GET",   200,   404,    404,                LOGIN),
    ("organization_edit",        "POST",  302,   404,    404,                LOGIN),
    ("organization_invite",      "POST",  302,   302,    404,                LOGIN),
    ("application_detail",       "GET",   200,   200,    404,                LOGIN),
    ("application_edit",         "GET",   200,   200,    404,                LOGIN),
    ("application_edit",         "POST",  302,   302,    404,                LOGIN),
    ("application_submit",       "POST",  302,   302,    404,                LOGIN),
    ("application_withdraw",     "POST",  302,   302,    404,                LOGIN),
    ("application_certificate",  "GET",   200,   200,    404,                LOGIN),
    ("claim_evidence",           "GET",   200,   200,    404,                LOGIN),
    ("call_apply",               "POST",  302,   302,    404,                LOGIN),
]
# fmt: on
# The outsider is a member (the owner) of another organisation.
ACTORS = ("owner", "member", "outsider", "anonymous")
CASES = [
    pytest.param(route, method, actor, expected, id=f"{route}-{method}-{actor}")
    for route, method, *row in MATRIX
    for actor, expected in zip(ACTORS, row, strict=True)
]


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
    data = {
        "application_edit": {
            "project_title": "바뀐 제목",
            "items-TOTAL_FORMS": "0",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "20",
        },
        "application_withdraw": {"reason": "바꿔치기"},
    }.get(route, {})
    return reverse(route, args=[target.application.pk]), data


def database_state() -> dict:
    """Everything an intruder could try to change through these URLs."""
    return {
        "organizations": list(Organization.objects.order_by("pk").values_list("pk", "legal_name", "address")),
        "memberships": list(Membership.objects.order_by("pk").values_list("organization", "user", "role")),
        "invitations": list(Invitation.objects.order_by("pk").values_list("organization", "email")),
        "applications": list(
            Application.objects.order_by("pk").values_list(
                "pk", "organization", "status", "project_title", "business_certificate"
            )
        ),
        "items": list(ApplicationItem.objects.order_by("pk").values_list("pk", "application", "quantity")),
        "claims": list(PriorityClaim.objects.order_by("pk").values_list("pk", "kind", "details", "evidence")),
        "transitions": list(ApplicationTransition.objects.order_by("pk").values_list("pk", "to_status", "reason")),
    }


def assert_sent_to_login(response, url: str) -> None:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize(("route", "method", "actor", "expected"), CASES)
def test_access_matrix(client, actors, target, route, method, actor, expected):
    user = actors[actor]
    if user is not None:
        client.force_login(user)
    url, data = request_for(route, target)
    before = database_state()

    response = client.get(url) if method == "GET" else client.post(url, data)

    if expected == LOGIN:
        assert_sent_to_login(response, url)
    else:
        assert response.status_code == expected
    if expected == 302:
        assert not response["Location"].startswith(reverse("account_login"))
    if actor in ("outsider", "anonymous"):
        assert database_state() == before


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
    url, data = request_for("application_edit", target)

    client.post(url, data)
    url, data = request_for("application_withdraw", target)
    client.post(url, data)

    target.application.refresh_from_db()
    assert target.application.project_title == "바뀐 제목"
    assert target.application.status == Application.Status.WITHDRAWN
