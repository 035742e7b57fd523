"""Failed logins are limited per account and per client IP, on the site and on the admin."""

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

# What a Korean visitor (the default language) reads when throttled.
with translation.override("ko"):
    THROTTLED = str(DefaultAccountAdapter.error_messages["too_many_login_attempts"])


def attempt(client, email, password="wrong-password", **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def test_an_account_is_locked_after_five_failed_logins_even_with_the_right_password(client, applicant):
    for _ in range(5):
        response = attempt(client, applicant.email)
        assert response.status_code == 200
        assert THROTTLED not in response.content.decode()

    locked = attempt(client, applicant.email, PASSWORD)

    assert locked.status_code == 200
    assert THROTTLED in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_account_lock_holds_from_another_address(client, applicant):
    for n in range(5):
        attempt(client, applicant.email, REMOTE_ADDR=f"10.0.0.{n + 1}")

    locked = attempt(client, applicant.email, PASSWORD, REMOTE_ADDR="10.0.0.99")

    assert THROTTLED in locked.content.decode()


def test_one_address_guessing_many_accounts_is_locked_out(client):
    victims = [make_user(f"victim{n}@example.kr") for n in range(11)]
    for victim in victims[:10]:
        attempt(client, victim.email, REMOTE_ADDR="203.0.113.7")

    blocked = attempt(client, victims[10].email, PASSWORD, REMOTE_ADDR="203.0.113.7")
    other_address = attempt(client, victims[10].email, PASSWORD, REMOTE_ADDR="198.51.100.1")

    assert THROTTLED in blocked.content.decode()
    assert other_address.status_code == 302  # a different client is not punished


def test_the_admin_login_is_the_sites_login(client):
    response = client.get(reverse("admin:login"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_posting_credentials_to_the_admin_login_cannot_bypass_the_limit(client, reviewer):
    for _ in range(5):
        attempt(client, reviewer.email)

    direct = client.post(reverse("admin:login"), {"username": reviewer.email, "password": PASSWORD})
    through_site = attempt(client, reviewer.email, PASSWORD)

    assert direct.status_code == 302 and direct["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    assert THROTTLED in through_site.content.decode()


def test_staff_reach_the_admin_after_logging_in_on_the_site(client, reviewer):
    response = client.post(reverse("account_login") + "?next=/admin/", {"login": reviewer.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_applicant_is_refused_by_the_admin(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("admin:login")).status_code == 403
