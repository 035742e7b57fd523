"""The links in allauth's e-mails lead to SITE_URL, whatever allowed host or port the request that
caused them named (security review, finding 11): the Host header is the client's to choose."""

import re

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.conftest import PASSWORD
from tests.consents import CONSENTS

pytestmark = pytest.mark.django_db

SITE_URL = "https://portal.example.kr"
# Another name the portal answers to, and a port: both pass Django's host check.
OTHER_HOSTS = ["portal.example.kr:8443", "alias.example.kr"]


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = ["portal.example.kr", "alias.example.kr"]


def links(notification: Notification) -> list[str]:
    return re.findall(r"https?://\S+", notification.body)


@pytest.mark.parametrize("host", OTHER_HOSTS)
def test_a_password_reset_asked_through_another_host_mails_a_link_to_the_site(client, applicant, host):
    client.post(reverse("account_reset_password"), {"email": applicant.email}, HTTP_HOST=host)

    notification = Notification.objects.get()
    [link] = links(notification)
    assert link.startswith(f"{SITE_URL}/accounts/password/reset/key/")
    assert "8443" not in notification.body and "alias" not in notification.body


@pytest.mark.parametrize("host", OTHER_HOSTS)
def test_a_signup_through_another_host_mails_a_confirmation_link_to_the_site(client, host):
    client.post(
        reverse("account_signup"),
        {"email": "newcomer@example.kr", "password1": PASSWORD, "password2": PASSWORD, **CONSENTS},
        HTTP_HOST=host,
    )

    [link] = links(Notification.objects.get(recipient="newcomer@example.kr"))
    assert link.startswith(f"{SITE_URL}/accounts/confirm-email/")


def test_a_signup_with_a_taken_address_mails_links_to_the_site(client, applicant):
    client.post(
        reverse("account_signup"),
        {"email": applicant.email, "password1": PASSWORD, "password2": PASSWORD, **CONSENTS},
        HTTP_HOST="alias.example.kr",
    )

    notification = Notification.objects.get(recipient=applicant.email)
    assert links(notification)
    assert all(link.startswith(f"{SITE_URL}/accounts/") for link in links(notification))


def test_the_link_mailed_opens_the_reset_page_on_the_site(client, applicant):
    client.post(reverse("account_reset_password"), {"email": applicant.email}, HTTP_HOST="alias.example.kr")
    [link] = links(Notification.objects.get())

    response = client.get(link.removeprefix(SITE_URL), HTTP_HOST="portal.example.kr")

    assert response.status_code == 302
    # allauth keeps the key in the session and sends the browser on to the form for the password.
    assert re.fullmatch(r"/accounts/password/reset/key/\w+-set-password/", response["Location"])


def test_the_emails_name_the_portal_and_its_host_not_the_requests(client, applicant):
    client.post(reverse("account_reset_password"), {"email": applicant.email}, HTTP_HOST="alias.example.kr:8443")

    body = Notification.objects.get().body
    assert "국가 AI 데이터센터" in body
    assert "alias.example.kr" not in body
