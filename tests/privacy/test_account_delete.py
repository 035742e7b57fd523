"""회원 탈퇴: the person deletes their own account with their password; their data is erased, what
was done for an organisation stays with it under a pseudonym; an only owner hands over first."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Membership
from notifications.models import Notification
from privacy import services
from tests.conftest import PASSWORD, make_user
from tests.factories import ApplicationFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return make_user("member@example.kr")


@pytest.fixture
def organization(applicant, member):
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)
    MembershipFactory(organization=organization, user=member, role=Membership.Role.MEMBER)
    return organization


def test_a_member_deletes_their_account_and_the_organisations_records_stay_under_a_pseudonym(
    client, member, organization
):
    application = ApplicationFactory(
        organization=organization, created_by=member, status=Application.Status.SUBMITTED, submitted_at=timezone.now()
    )
    Notification.objects.create(
        kind=Notification.Kind.ACCOUNT, recipient=member.email, user=member, language="ko", subject="안내", body="본문"
    )
    Notification.objects.create(
        kind=Notification.Kind.JOIN_REQUEST,
        recipient="owner@example.kr",
        language="ko",
        subject="가입 요청",
        body="member@example.kr 님이 가입을 요청했습니다.",
    )
    member.first_name = "김하늘"
    member.save()
    client.force_login(member)

    response = client.post(reverse("account_delete"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "_auth_user_id" not in client.session
    member.refresh_from_db()
    assert member.email == f"deleted-{member.pk}@deleted.invalid"
    assert member.first_name == "" and not member.is_active and not member.has_usable_password()
    assert not EmailAddress.objects.filter(user=member).exists()
    assert not Membership.objects.filter(user=member).exists()
    # The organisation keeps its application, which names the pseudonym.
    application.refresh_from_db()
    assert application.organization == organization and application.created_by == member
    # No e-mail log row shows the address any more.
    assert not Notification.objects.filter(recipient__icontains="member@example.kr").exists()
    assert not Notification.objects.filter(body__icontains="member@example.kr").exists()
    assert not User.objects.filter(email="member@example.kr").exists()
    # And nobody logs in with it.
    assert (
        client.post(reverse("account_login"), {"login": "member@example.kr", "password": PASSWORD}).status_code == 200
    )


def test_the_password_is_asked_again(client, member, organization):
    client.force_login(member)

    response = client.post(reverse("account_delete"), {"password": "not-my-password", "confirm": "on"})

    assert response.status_code == 200
    assert User.objects.get(pk=member.pk).email == "member@example.kr"


def test_the_only_owner_hands_over_first_and_is_told_how(client, applicant, member, organization):
    client.force_login(applicant)

    page = client.get(reverse("account_delete"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    refused = client.post(reverse("account_delete"), {"password": PASSWORD, "confirm": "on"})

    assert "유일한 대표 관리자" in page and "다른 구성원을 대표 관리자로 지정한 뒤" in page
    assert refused.status_code == 200
    assert User.objects.get(pk=applicant.pk).is_active
    with pytest.raises(services.AccountDeletionRefused):
        services.account_delete(actor=applicant)

    # The way: make the member an owner on the organisation's page, then delete.
    membership = Membership.objects.get(user=member)
    client.post(reverse("membership_make_owner", args=[organization.pk, membership.pk]))
    assert Membership.objects.get(user=member).role == Membership.Role.OWNER
    client.post(reverse("account_delete"), {"password": PASSWORD, "confirm": "on"})
    assert not User.objects.get(pk=applicant.pk).is_active


def test_the_only_member_may_delete_and_the_organisation_stays(client, applicant):
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)

    services.account_delete(actor=applicant)

    organization.refresh_from_db()
    assert not organization.memberships.exists()


def test_staff_accounts_are_closed_by_an_administrator(client, reviewer):
    with pytest.raises(services.AccountDeletionRefused):
        services.account_delete(actor=reviewer)
    assert User.objects.get(pk=reviewer.pk).is_active


def test_the_api_tokens_go_with_the_account(client, member, organization):
    from api.models import Token
    from api.services import token_create

    token_create(actor=member, name="김하늘의 노트북", scopes={"read"}, expires_at=timezone.now() + timedelta(days=30))
    client.force_login(member)

    client.post(reverse("account_delete"), {"password": PASSWORD, "confirm": "on"})

    assert not Token.objects.filter(user=member).exists()
