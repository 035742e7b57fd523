"""Changing the account's e-mail addresses asks for the password again, and the owner is told by
e-mail of every change of their addresses and password (security review, finding 3)."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from notifications.models import Notification
from tests.conftest import PASSWORD
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "new-address@example.kr"


@pytest.fixture
def logged_in(client, applicant):
    client.force_login(applicant)
    return client


@pytest.fixture
def second_address(applicant):
    return EmailAddress.objects.create(user=applicant, email=NEW_ADDRESS, verified=True, primary=False)


def reauthenticate(client, password=PASSWORD):
    return client.post(reverse("account_reauthenticate"), {"password": password})


def asks_for_the_password(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))


def account_emails_to(address: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.ACCOUNT, recipient=address).order_by("pk"))


def test_adding_an_address_asks_for_the_password_first(logged_in, applicant):
    response = logged_in.post(reverse("account_email"), {"action_add": "", "email": NEW_ADDRESS})

    assert asks_for_the_password(response)
    assert not EmailAddress.objects.filter(email=NEW_ADDRESS).exists()
    assert account_emails_to(NEW_ADDRESS) == []


def test_making_another_address_primary_asks_for_the_password_first(logged_in, applicant, second_address):
    response = logged_in.post(reverse("account_email"), {"action_primary": "", "email": NEW_ADDRESS})

    assert asks_for_the_password(response)
    applicant.refresh_from_db()
    assert applicant.email == "applicant@example.kr"


def test_removing_an_address_asks_for_the_password_first(logged_in, applicant, second_address):
    response = logged_in.post(reverse("account_email"), {"action_remove": "", "email": NEW_ADDRESS})

    assert asks_for_the_password(response)
    assert EmailAddress.objects.filter(email=NEW_ADDRESS).exists()


def test_a_wrong_password_does_not_unlock_the_change(logged_in, applicant):
    assert reauthenticate(logged_in, "wrong-password").status_code == 200

    response = logged_in.post(reverse("account_email"), {"action_add": "", "email": NEW_ADDRESS})

    assert asks_for_the_password(response)


def test_with_the_password_given_the_address_is_added(logged_in, applicant):
    assert reauthenticate(logged_in).status_code == 302

    logged_in.post(reverse("account_email"), {"action_add": "", "email": NEW_ADDRESS})

    assert EmailAddress.objects.filter(user=applicant, email=NEW_ADDRESS, verified=False).exists()


def test_the_old_address_is_told_when_the_primary_address_changes(logged_in, applicant, second_address):
    reauthenticate(logged_in)

    logged_in.post(reverse("account_email"), {"action_primary": "", "email": NEW_ADDRESS})

    applicant.refresh_from_db()
    assert applicant.email == NEW_ADDRESS
    [notice] = account_emails_to("applicant@example.kr")
    assert "이메일" in notice.subject and NEW_ADDRESS in notice.body
    [message] = deliver_queued()
    assert message.to == ["applicant@example.kr"] and NEW_ADDRESS in message.body


def test_the_owner_is_told_when_an_address_is_removed(logged_in, applicant, second_address):
    reauthenticate(logged_in)

    logged_in.post(reverse("account_email"), {"action_remove": "", "email": NEW_ADDRESS})

    assert not EmailAddress.objects.filter(email=NEW_ADDRESS).exists()
    [notice] = account_emails_to("applicant@example.kr")
    assert NEW_ADDRESS in notice.body


def test_the_owner_is_told_when_the_password_changes(logged_in, applicant):
    new_password = "a-brand-new-passphrase-7"
    response = logged_in.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    [notice] = account_emails_to(applicant.email)
    assert notice.subject == "[국가 AI 데이터센터] 비밀번호 변경 안내"
    assert "비밀번호가 변경되었습니다" in notice.body
    [message] = deliver_queued()
    assert message.to == [applicant.email]
    notice.refresh_from_db()
    assert notice.state == Notification.State.SENT


def test_the_owner_is_told_when_the_password_is_reset(client, applicant):
    client.post(reverse("account_reset_password"), {"email": applicant.email})
    link = Notification.objects.get().body
    path = link[link.index("/accounts/password/reset/key/") :].split()[0]
    set_password = client.get(path)["Location"]
    new_password = "a-brand-new-passphrase-7"

    client.post(set_password, {"password1": new_password, "password2": new_password})

    notices = account_emails_to(applicant.email)
    assert len(notices) == 2  # the link, then the notice that it was used
    assert "비밀번호" in notices[1].subject
