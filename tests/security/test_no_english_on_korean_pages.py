"""No English on a Korean page: every page of the site and of the admin that a role may open (the
access table's OK and LOGGED answers, with the security tests' world of one of everything) is
fetched in Korean as that role, and its visible text must not hold one of the English defaults that
Django and django-allauth show when a string is missing from the catalogue, nor a raw status code.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.security.access_table import ACCESS, LOGGED, OK, ROLES, answer
from tests.security.patterns import project_url_patterns

pytestmark = pytest.mark.django_db

# The English that a page shows when a library's string has no Korean in either catalogue. Matched
# as whole words in the visible text (and in titles, placeholders and ARIA labels); English that
# belongs on a Korean page (GPU, PDF, TOTP, CSV, SaaS, a URL) is not in the list.
ENGLISH_DEFAULTS = (
    "Select an option",
    "Remember Me",
    "Remember me",
    "Successfully signed in",
    "You have signed out",
    "Home",
    "Add",
    "Change",
    "Delete",
    "Save",
    "Filter",
    "Filter by",
    "Search",
    "Yes",
    "No",
    "Unknown",
    "None",
    "Show all",
    "By",
    "Action",
    "Go",
    "History",
    "View site",
    "Log out",
    "Log in",
    "Sign in",
    "Sign up",
    "Password",
    "Forgot your password",
    "Welcome",
    "Submit",
    "Cancel",
    "Close",
    "Previous",
    "Next",
    "Today",
    "Now",
    "Clear",
    "Choose",
    "Currently",
    "Required",
    "Optional",
    "Email",
    "E-mail",
    "Username",
    "First name",
    "Last name",
    "Organization",
    "Organisation",
    "Call",
    "Offering",
    "User",
    "Actor",
    "Created by",
    "Submitted by",
    "Application item",
    "Reviewer",
    "Status",
    "Date",
    "Time",
    "Page",
    "results",
    "total",
    "selected",
    "Run the selected action",
    "Select all",
    "Can add",
    "Can change",
    "Can delete",
    "Can view",
)
# A status's code where its label belongs, e.g. a history row "draft → submitted".
RAW_CODES = (
    "draft",
    "submitted",
    "approved",
    "waitlisted",
    "rejected",
    "withdrawn",
    "pending",
    "provisioning",
    "active",
    "expired",
    "revoked",
    "failed",
    "requested",
    "verified",
    "queued",
    "sent",
    "extension",
    "supplement",
    "awaiting",
    "owner",
    "member",
)
WORDS = re.compile(
    r"(?<![A-Za-z0-9_@./-])(" + "|".join(re.escape(word) for word in ENGLISH_DEFAULTS) + r")(?![A-Za-z0-9_@-])"
)
CODES = re.compile(r"(?:^|→\s*)(" + "|".join(RAW_CODES) + r")(?:\s*→|$)")
SHOWN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "value"}


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside scripts and styles, and the attributes shown or
    read out (a submit button's value, a title, a placeholder, an ARIA label)."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.hidden += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if (
                value
                and name in SHOWN_ATTRIBUTES
                and (name != "value" or (tag == "input" and attributes.get("type") in ("submit", "button")))
            ):
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(data.strip())


def english_on(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        found += [f"{match!r} in {text[:80]!r}" for match in WORDS.findall(text)]
        found += [f"raw code {match!r} in {text[:80]!r}" for match in CODES.findall(text)]
    return found


def test_the_check_finds_english_defaults_and_raw_codes_but_not_units_or_korean():
    assert english_on("<select><option>- Select an option -</option></select>")
    assert english_on('<input type="submit" value="Save">')
    assert english_on("<td>draft → submitted</td>")
    assert english_on("<label>Remember Me</label>")
    assert english_on("<h2> By status </h2>")
    assert english_on("<td>GPU (NVIDIA A100) · 8 GPU · PDF · TOTP · applicant@example.kr</td>") == []
    assert english_on("<td>임시 저장 → 제출 완료</td><script>var x = 'Save';</script>") == []


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_can_open_shows_english_in_korean(world, role, settings):
    settings.LANGUAGE_CODE = "ko"
    leaks, pages = [], 0
    for pattern in project_url_patterns():
        entry = ACCESS.get(pattern.key)
        if entry is None or answer(pattern.key, role, "GET") not in (OK, LOGGED):
            continue
        # A client per page, as the authorization matrix does: some pages end the session (a
        # password-reset link logs its visitor out).
        client = Client(HTTP_ACCEPT_LANGUAGE="ko")
        if (user := world.user(role)) is not None:
            client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
        path = entry.path.format(**world.objects)
        response = client.get(path)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages += 1
        found = english_on(response.content.decode())
        leaks += [f"{path}: {leak}" for leak in found]

    assert pages > 0
    assert leaks == [], f"{role}: English on Korean pages:\n  " + "\n  ".join(leaks)


def test_the_login_page_and_its_message_are_korean_without_a_glued_particle(client, applicant):
    from tests.conftest import PASSWORD

    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "로그인 상태 유지" in page and "아이디 저장" not in page

    response = client.post(
        "/accounts/login/", {"login": applicant.email, "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ko", follow=True
    )

    assert f"{applicant.email} 계정으로 로그인했습니다." in response.content.decode()
    assert english_on(response.content.decode()) == []


def test_the_error_pages_are_korean_with_a_way_home(client, applicant, rf):
    from django.views import defaults

    client.force_login(applicant)
    denied = client.get("/ops/", HTTP_ACCEPT_LANGUAGE="ko")
    missing = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ko")
    failed = defaults.server_error(rf.get("/"))
    bad = defaults.bad_request(rf.get("/"), exception=None)

    assert denied.status_code == 403 and "접근 권한이 없습니다" in denied.content.decode()
    assert missing.status_code == 404 and "페이지를 찾을 수 없습니다" in missing.content.decode()
    assert "일시적인 오류가 발생했습니다" in failed.content.decode()
    assert "잘못된 요청입니다" in bad.content.decode()
    for response in (denied, missing, failed, bad):
        assert "홈으로 가기" in response.content.decode()
        assert english_on(response.content.decode()) == []
