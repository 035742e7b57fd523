import re

import pytest
from django.core import mail
from django.urls import reverse

from applications.models import Invitation, Membership
from tests.conftest import make_user
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
