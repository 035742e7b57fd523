import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.consents import CONSENTS
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def sign_up(client, email="new.applicant@example.kr"):
    response = client.post(
        reverse("account_signup"), {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **CONSENTS}
    )
    deliver_queued()  # the e-mail is recorded in the request and delivered by a worker
    return response


def confirmation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def test_sign_up_sends_a_verification_email_and_does_not_log_in(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.applicant@example.kr"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert "_auth_user_id" not in client.session


def test_login_is_refused_until_the_email_is_verified(client):
    sign_up(client)
    client.logout()

    response = client.post(reverse("account_login"), {"login": "new.applicant@example.kr", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_sign_up_then_verify_then_log_in(client):
    sign_up(client)
    link = confirmation_link(mail.outbox[0])
    client.logout()

    assert client.get(link).status_code == 200
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    client.logout()
    login = client.post(reverse("account_login"), {"login": "new.applicant@example.kr", "password": NEW_PASSWORD})

    assert login.status_code == 302
    assert login["Location"] == reverse("home")
    user = User.objects.get(email="new.applicant@example.kr")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.emailaddress_set.get().verified


def test_password_reset_sends_a_link_that_sets_a_new_password(client, applicant):
    client.post(reverse("account_reset_password"), {"email": applicant.email})
    deliver_queued()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    reset = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "another-long-passphrase-77", "password2": "another-long-passphrase-77"},
    )
    assert reset.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password("another-long-passphrase-77")


def test_logout_is_a_post_and_ends_the_session(client, applicant):
    client.force_login(applicant)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
