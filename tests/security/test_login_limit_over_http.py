"""The per-account failed-login limit holds over real HTTP whatever Host header the client sends.

Django's test client builds the request itself; here a real server (pytest-django's live server,
a WSGI server in a thread) parses each request, so the Host header reaches Django as a client
sent it: with a port, a trailing dot or in capitals. Each names an allowed host, and each used to
get a per-account counter of its own (security review, finding 1): five wrong passwords locked
the account on one host, and the right one then logged in through another.
"""

import http.client
import urllib.parse
from http.cookies import SimpleCookie

import pytest
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation

from tests.conftest import PASSWORD, make_user

with translation.override("ko"):
    THROTTLED = str(DefaultAccountAdapter.error_messages["too_many_login_attempts"])

LOGIN = "/accounts/login/"


class HostNamingClient:
    """One browser that names the Host header of each request itself; keeps the CSRF cookie."""

    def __init__(self, live_server) -> None:
        address = urllib.parse.urlsplit(live_server.url)
        self.server = (address.hostname, address.port)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, host: str, fields: dict | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(*self.server, timeout=30)
        headers = {"Host": host, "Accept-Language": "ko"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.read().decode(errors="replace"), response.getheader("Location") or ""
        finally:
            connection.close()

    def log_in(self, email: str, password: str, *, host: str) -> tuple[int, str, str]:
        if settings.CSRF_COOKIE_NAME not in self.cookies:
            self.request("GET", LOGIN, host=host)
        fields = {"csrfmiddlewaretoken": self.cookies[settings.CSRF_COOKIE_NAME], "login": email, "password": password}
        return self.request("POST", LOGIN, host=host, fields=fields)


@pytest.fixture
def local_hosts(settings, live_server):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]


def test_a_locked_account_stays_locked_through_every_variant_of_an_allowed_host(live_server, local_hosts):
    victim = make_user("victim@example.kr")
    bystander = make_user("bystander@example.kr")
    browser = HostNamingClient(live_server)

    for _ in range(5):
        status, body, _location = browser.log_in(victim.email, "wrong-password", host="127.0.0.1")
        assert status == 200 and THROTTLED not in body

    # Eight failures so far from this address: under its own limit (10 a minute), so only the
    # account's limit can refuse what follows.
    for host in ("127.0.0.1:1", "127.0.0.1.", "LOCALHOST"):
        status, body, location = browser.log_in(victim.email, PASSWORD, host=host)

        assert (status, location) == (200, ""), host
        assert THROTTLED in body, host

    status, _body, location = HostNamingClient(live_server).log_in(bystander.email, PASSWORD, host="LOCALHOST:9")
    assert status == 302 and location == "/"  # another account from the same address logs in
