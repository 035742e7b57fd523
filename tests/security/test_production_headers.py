"""What a browser receives from the production settings: HTTPS only, HSTS, the security headers
and cookies that are Secure, HttpOnly and SameSite. A real process with the production
environment (DEBUG=0) on a scratch SQLite database, answering through Django's request handler."""

import json

import pytest

from tests.processes import PRODUCTION_ENV, portal_env, run_python

pytestmark = pytest.mark.integration

REQUESTS = """
import json
import django

django.setup()
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client

from accounts.models import User

call_command("migrate", verbosity=0)
staff = User.objects.create_user(email="staff@example.kr", password="a-long-passphrase-42", is_staff=True)
EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)


def cookies(response):
    return {
        name: {flag: morsel[flag] for flag in ("secure", "httponly", "samesite", "max-age", "path", "domain")}
        for name, morsel in response.cookies.items()
    }


client = Client(HTTP_HOST="portal.example.kr")
plain = client.get("/statistics/")
page = client.get("/admin/", secure=True)
login = client.post("/accounts/login/", {"login": staff.email, "password": "a-long-passphrase-42"}, secure=True)
remembered = Client(HTTP_HOST="portal.example.kr").post(
    "/accounts/login/", {"login": staff.email, "password": "a-long-passphrase-42", "remember": "on"}, secure=True
)
language = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "headers": dict(page.headers),
    "login": [login.status_code, cookies(login)],
    "remembered": [remembered.status_code, cookies(remembered)],
    "language": cookies(language),
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    database = tmp_path_factory.mktemp("production") / "db.sqlite3"
    env = portal_env(
        {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{database}", "STAFF_SESSION_IDLE_MINUTES": "20"},
        remove=("CELERY_BROKER_URL", "PORTAL_TEST_RUN"),
    )
    result = run_python(REQUESTS, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https(production):
    status, location = production["plain"]

    assert status == 301
    assert location == "https://portal.example.kr/statistics/"


def test_https_answers_carry_hsts_for_a_year_with_subdomains_and_preload(production):
    assert production["headers"]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ],
)
def test_https_answers_carry_the_security_headers(production, header, value):
    assert production["headers"][header] == value


def test_the_content_security_policy_allows_no_inline_script_and_no_framing(production):
    policy = dict(
        directive.strip().split(" ", 1) for directive in production["headers"]["Content-Security-Policy"].split(";")
    )

    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in production["headers"]["Content-Security-Policy"]


@pytest.mark.parametrize("cookie", ["__Host-sessionid", "__Host-csrftoken"])
def test_the_login_sets_cookies_that_are_secure_httponly_and_samesite(production, cookie):
    status, cookies = production["login"]

    assert status == 302
    assert cookies[cookie]["secure"] is True
    assert cookies[cookie]["httponly"] is True
    assert cookies[cookie]["samesite"] == "Lax"


def test_a_staff_session_cookie_ends_with_the_browser(production):
    _, cookies = production["login"]

    assert cookies["__Host-sessionid"]["max-age"] == ""


def test_a_remembered_staff_session_cookie_lasts_twice_the_idle_limit_not_two_weeks(production):
    status, cookies = production["remembered"]

    # The middleware ends the session after the limit; the cookie and the store forget it after twice that.
    assert status == 302
    assert cookies["__Host-sessionid"]["max-age"] == 2 * 20 * 60


def test_the_language_cookie_is_secure_httponly_and_samesite(production):
    cookie = production["language"]["__Host-language"]

    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax")


def test_the_session_csrf_and_language_cookies_carry_the_host_prefix(production):
    # A browser keeps a __Host- cookie only when it is Secure, has Path=/ and no Domain: the
    # cookie then belongs to this host alone, and no subdomain can set or shadow it (ASVS 3.3.1).
    _, login = production["login"]
    cookies = {**login, **production["language"]}

    assert {"__Host-csrftoken", "__Host-language", "__Host-sessionid"} <= set(cookies)
    assert not {"sessionid", "csrftoken", "django_language"} & set(cookies)
    for name in ("__Host-csrftoken", "__Host-language", "__Host-sessionid"):
        assert (cookies[name]["secure"], cookies[name]["path"], cookies[name]["domain"]) == (True, "/", "")
