import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Invitation, Membership
from notifications.models import Notification
from tests.conftest import make_user
from tests.factories import MembershipFactory, OrganizationFactory
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db


def invite(client, organization, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("organization_invite", args=[organization.pk]), {"email": email})
    deliver_queued()
    return response


def test_the_owner_invites_by_email_and_the_invitee_joins_after_logging_in(
    client, applicant, organization, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    invite(client, organization, "researcher@example.kr", django_capture_on_commit_callbacks)
    link = re.search(r"https?://[^/\s]+(/invitations/\S+/)", mail.outbox[-1].body).group(1)
    assert mail.outbox[-1].to == ["researcher@example.kr"]
    client.logout()

    anonymous = client.get(link)
    assert anonymous["Location"].startswith(reverse("account_login"))

    invitee = make_user("researcher@example.kr")
    client.force_login(invitee)
    assert client.get(link).status_code == 200
    response = client.post(link)

    assert response["Location"] == reverse("organization_detail", args=[organization.pk])
    assert Membership.objects.get(organization=organization, user=invitee).role == Membership.Role.MEMBER
    assert Invitation.objects.get().accepted_by == invitee


def test_only_the_invited_address_can_accept(client, applicant, other_org_applicant, organization):
    invitation = Invitation.objects.create(
        organization=organization, email="researcher@example.kr", invited_by=applicant
    )
    client.force_login(other_org_applicant)

    client.post(reverse("invitation_accept", args=[invitation.token]))

    assert not Membership.objects.filter(organization=organization, user=other_org_applicant).exists()


def test_a_member_who_is_not_the_owner_cannot_invite(client, organization, django_capture_on_commit_callbacks):
    member = make_user("member@example.kr")
    Membership.objects.create(organization=organization, user=member, role=Membership.Role.MEMBER)
    client.force_login(member)

    invite(client, organization, "friend@example.kr", django_capture_on_commit_callbacks)

    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_an_unknown_token_joins_nothing(client, applicant):
    client.force_login(applicant)

    response = client.post(reverse("invitation_accept", args=["not-a-token"]))

    assert response.status_code == 302
    assert Membership.objects.filter(user=applicant).count() == 0


# --- Single use (security review, finding 7) ----------------------------------------------------


def test_a_used_invitation_does_not_let_a_removed_member_rejoin(client, organization, applicant):
    invitee = make_user("researcher@example.kr")
    invitation = services.organization_invite(actor=applicant, organization=organization, email=invitee.email)
    services.invitation_accept(actor=invitee, token=invitation.token)
    Membership.objects.filter(organization=organization, user=invitee).delete()  # the owner removes them
    client.force_login(invitee)

    response = client.post(reverse("invitation_accept", args=[invitation.token]), follow=True)

    assert not Membership.objects.filter(organization=organization, user=invitee).exists()
    assert [str(m) for m in response.context["messages"]] == [
        "이미 사용된 초대입니다. 기관의 대표 관리자에게 새 초대를 요청하세요."
    ]


def test_a_used_invitation_is_refused_at_the_service(organization, applicant):
    invitee = make_user("researcher@example.kr")
    invitation = services.organization_invite(actor=applicant, organization=organization, email=invitee.email)
    services.invitation_accept(actor=invitee, token=invitation.token)
    Membership.objects.filter(organization=organization, user=invitee).delete()

    with pytest.raises(services.InvitationUsed):
        services.invitation_accept(actor=invitee, token=invitation.token)


def test_accepting_twice_while_still_a_member_changes_nothing(organization, applicant):
    invitee = make_user("researcher@example.kr")
    invitation = services.organization_invite(actor=applicant, organization=organization, email=invitee.email)
    first = services.invitation_accept(actor=invitee, token=invitation.token)

    again = services.invitation_accept(actor=invitee, token=invitation.token)

    assert again == first
    assert Membership.objects.filter(organization=organization, user=invitee).count() == 1


# --- Limits and what the e-mail says (security review, finding 4) -------------------------------


def test_an_organisation_sends_at_most_its_daily_number_of_invitations(organization, applicant, settings):
    settings.INVITATIONS_PER_ORGANIZATION_PER_DAY = 3
    for n in range(3):
        services.organization_invite(actor=applicant, organization=organization, email=f"person{n}@example.kr")

    with pytest.raises(services.InvitationLimitReached):
        services.organization_invite(actor=applicant, organization=organization, email="person9@example.kr")

    assert Invitation.objects.count() == 3
    assert Notification.objects.filter(kind=Notification.Kind.INVITATION).count() == 3


def test_one_address_gets_at_most_its_daily_number_of_invitations_from_all_organisations(
    organization, applicant, other_organization, other_org_applicant, settings
):
    settings.INVITATIONS_PER_ADDRESS_PER_DAY = 2
    services.organization_invite(actor=applicant, organization=organization, email="victim@example.org")
    services.organization_invite(actor=other_org_applicant, organization=other_organization, email="Victim@EXAMPLE.org")

    with pytest.raises(services.InvitationLimitReached):
        services.organization_invite(actor=applicant, organization=organization, email="victim@example.org")

    assert Notification.objects.filter(recipient__iexact="victim@example.org").count() == 2


def test_forty_invitations_to_one_address_send_only_the_daily_number(
    client, applicant, organization, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    for _ in range(40):
        invite(client, organization, "victim@example.org", django_capture_on_commit_callbacks)

    assert len(mail.outbox) == settings.INVITATIONS_PER_ADDRESS_PER_DAY


def test_the_limits_count_the_last_24_hours(organization, applicant, settings):
    settings.INVITATIONS_PER_ADDRESS_PER_DAY = 1
    with time_machine.travel(timezone.now() - timedelta(hours=25)):
        services.organization_invite(actor=applicant, organization=organization, email="person@example.kr")

    services.organization_invite(actor=applicant, organization=organization, email="person@example.kr")

    assert Invitation.objects.count() == 2


def test_the_subject_names_the_portal_not_the_organisations_chosen_name(
    client, applicant, django_capture_on_commit_callbacks
):
    phishing = "URGENT: verify your account at http://evil.example/login"
    organization = OrganizationFactory(legal_name=phishing)
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)
    client.force_login(applicant)

    invite(client, organization, "victim@example.org", django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert "evil.example" not in message.subject
    assert "AI" in message.subject  # 국가 AI 데이터센터 …: the portal's name
    assert f"“{phishing}”" in message.body  # quoted, with a warning that the portal did not check it


def test_the_email_log_never_shows_the_invitation_link(
    client, applicant, organization, superuser, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    invite(client, organization, "researcher@example.kr", django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    [message] = mail.outbox
    assert invitation.token in message.body  # the invitee gets the real link

    notification = Notification.objects.get(kind=Notification.Kind.INVITATION)
    assert notification.secret
    assert invitation.token not in notification.link + notification.body + notification.html_body

    client.force_login(superuser)
    for url in (
        reverse("admin:notifications_notification_changelist"),
        reverse("admin:notifications_notification_change", args=[notification.pk]),
        reverse("admin:applications_invitation_change", args=[invitation.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert invitation.token not in response.content.decode()


def test_the_log_hides_the_link_even_before_delivery(applicant, organization, superuser, client):
    invitation = services.organization_invite(actor=applicant, organization=organization, email="x@example.kr")
    notification = Notification.objects.get(kind=Notification.Kind.INVITATION, state=Notification.State.QUEUED)
    assert invitation.token in notification.body  # still to be delivered

    client.force_login(superuser)
    response = client.get(reverse("admin:notifications_notification_change", args=[notification.pk]))

    assert invitation.token not in response.content.decode()


def test_another_account_is_told_the_invitation_is_not_for_it_without_the_invited_address(
    client, applicant, other_org_applicant, organization
):
    invitation = Invitation.objects.create(
        organization=organization, email="researcher@example.kr", invited_by=applicant
    )
    client.force_login(other_org_applicant)

    page = client.get(reverse("invitation_accept", args=[invitation.token]), HTTP_ACCEPT_LANGUAGE="ko")
    text = page.content.decode()

    assert page.status_code == 200
    assert "다른 이메일 주소로 보낸 것입니다" in text
    assert "초대 수락" not in text
    assert "researcher@example.kr" not in text and organization.legal_name not in text
    # The way out: log out, then log in again and come back to the invitation.
    assert f'action="{reverse("account_logout")}"' in text
    refused = client.post(reverse("invitation_accept", args=[invitation.token]), HTTP_ACCEPT_LANGUAGE="ko", follow=True)
    assert "researcher@example.kr" not in refused.content.decode()
    assert not Membership.objects.filter(user=other_org_applicant).exists()


def test_switching_accounts_from_the_invitation_leads_back_to_it(client, applicant, other_org_applicant, organization):
    invitation = Invitation.objects.create(
        organization=organization, email="researcher@example.kr", invited_by=applicant
    )
    link = reverse("invitation_accept", args=[invitation.token])
    client.force_login(other_org_applicant)

    response = client.post(reverse("account_logout"), {"next": f"{reverse('account_login')}?next={link}"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={link}"
    assert "_auth_user_id" not in client.session


def test_the_invitee_is_offered_to_join_the_named_organisation(client, applicant, organization):
    invitation = Invitation.objects.create(
        organization=organization, email="researcher@example.kr", invited_by=applicant
    )
    client.force_login(make_user("researcher@example.kr"))

    text = client.get(reverse("invitation_accept", args=[invitation.token]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "초대 수락" in text and organization.legal_name in text
