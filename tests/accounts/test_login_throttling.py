"""Failed logins are limited per account and per client IP, on the site and on the admin."""

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD, make_user, totp_code, totp_secret

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


# Host headers that name an allowed host (Django compares them without port, letter case or a
# trailing dot) but differ as strings: each used to get its own per-account counter.
HOST_VARIANTS = ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1.", "LOCALHOST", "localhost:8000"]


@pytest.fixture
def local_hosts(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


def test_the_account_lock_holds_whatever_host_the_request_names(client, local_hosts, applicant):
    for n in range(5):
        attempt(client, applicant.email, HTTP_HOST="127.0.0.1", REMOTE_ADDR=f"10.0.0.{n + 1}")

    for n, host in enumerate(HOST_VARIANTS):
        locked = attempt(client, applicant.email, PASSWORD, HTTP_HOST=host, REMOTE_ADDR=f"10.0.1.{n + 1}")

        assert locked.status_code == 200, host
        assert THROTTLED in locked.content.decode(), host
        assert "_auth_user_id" not in client.session


def test_guesses_spread_over_host_and_letter_case_variants_count_against_one_account(client, local_hosts, applicant):
    logins = [applicant.email, applicant.email.upper(), f" {applicant.email} "] * 2
    guesses = list(zip(HOST_VARIANTS, logins, strict=False))
    for n, (host, login) in enumerate(guesses[:5]):
        answer = attempt(client, login, HTTP_HOST=host, REMOTE_ADDR=f"10.0.2.{n + 1}")
        assert THROTTLED not in answer.content.decode()

    locked = attempt(client, applicant.email, PASSWORD, HTTP_HOST="127.0.0.1:3", REMOTE_ADDR="10.0.2.99")

    assert THROTTLED in locked.content.decode()
    assert "_auth_user_id" not in client.session


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


def test_staff_reach_the_admin_after_logging_in_on_the_site_with_their_second_factor(client, reviewer):
    password = client.post(reverse("account_login") + "?next=/admin/", {"login": reviewer.email, "password": PASSWORD})
    assert password["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(reviewer))})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_applicant_is_refused_by_the_admin(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("admin:login")).status_code == 403


# --- The admin's pathway -------------------------------------------------------------------------


def admin_login_page(client) -> str:
    """Where a visitor to /admin/ ends up: the site's login form, with the way back to the admin."""
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    return response.redirect_chain[-1][0]


def test_a_staff_account_is_locked_after_five_failed_logins_on_the_admins_pathway(client, reviewer):
    login_url = admin_login_page(client)
    for _ in range(5):
        client.post(login_url, {"login": reviewer.email, "password": "wrong-password"})

    locked = client.post(login_url, {"login": reviewer.email, "password": PASSWORD})

    assert THROTTLED in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_one_address_guessing_staff_passwords_on_the_admins_pathway_is_locked_out(client, reviewer, operator):
    login_url = admin_login_page(client)
    staff = [make_user(f"staff{n}@operator.kr", is_staff=True) for n in range(10)]
    for member in staff:
        client.post(login_url, {"login": member.email, "password": "wrong"}, REMOTE_ADDR="203.0.113.9")

    blocked = client.post(login_url, {"login": operator.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")

    assert THROTTLED in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_logged_in_staff_member_cannot_log_in_as_someone_else_through_the_admins_form(client, reviewer, superuser):
    # Django's own admin login form checks any posted password, with none of the site's limits.
    client.force_login(reviewer)
    for _ in range(20):
        response = client.post(reverse("admin:login"), {"username": superuser.email, "password": "guess"})
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")

    right = client.post(reverse("admin:login"), {"username": superuser.email, "password": PASSWORD})

    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(reviewer.pk)


# --- The client's address behind the reverse proxy -----------------------------------------------

PROXY = "10.9.0.2"  # the reverse proxy of docker-compose, as the web container sees it


def env_example() -> dict[str, str]:
    from tests.test_docker_compose import env_example

    return env_example()


def test_without_a_trusted_proxy_a_forged_forwarded_for_header_does_not_escape_the_address_limit(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    victims = [make_user(f"victim{n}@example.kr") for n in range(11)]
    for n, victim in enumerate(victims[:10]):
        attempt(client, victim.email, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    blocked = attempt(client, victims[10].email, PASSWORD, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.1")

    assert THROTTLED in blocked.content.decode()


def test_the_compose_deployment_trusts_exactly_one_proxy():
    assert env_example()["TRUSTED_PROXY_COUNT"] == "1"
    assert env_example()["BEHIND_TLS_PROXY"] == "1"


@pytest.fixture
def behind_the_compose_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = int(env_example()["TRUSTED_PROXY_COUNT"])


def via_proxy(client, email, password="wrong-password", *, forwarded_for: str):
    """A login as the web container sees it: from the proxy, which appended the client's address."""
    return attempt(client, email, password, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_the_proxy_the_client_is_locked_out_and_not_the_proxy(client, behind_the_compose_proxy):
    victims = [make_user(f"victim{n}@example.kr") for n in range(11)]
    for victim in victims[:10]:
        via_proxy(client, victim.email, forwarded_for="203.0.113.7")

    blocked = via_proxy(client, victims[10].email, PASSWORD, forwarded_for="203.0.113.7")
    neighbour = via_proxy(client, victims[10].email, PASSWORD, forwarded_for="198.51.100.1")

    assert THROTTLED in blocked.content.decode()
    assert neighbour.status_code == 302  # another client behind the same proxy logs in


def test_behind_the_proxy_addresses_the_client_puts_in_front_are_ignored(client, behind_the_compose_proxy):
    victims = [make_user(f"victim{n}@example.kr") for n in range(11)]
    for n, victim in enumerate(victims[:10]):
        # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
        via_proxy(client, victim.email, forwarded_for=f"192.0.2.{n}, 203.0.113.7")

    blocked = via_proxy(client, victims[10].email, PASSWORD, forwarded_for="192.0.2.99, 203.0.113.7")

    assert THROTTLED in blocked.content.decode()


def test_behind_the_proxy_an_unreadable_client_address_is_refused_not_let_through(client, behind_the_compose_proxy):
    response = via_proxy(client, "anyone@example.kr", forwarded_for="203.0.113.7, not-an-address")

    assert response.status_code == 403
