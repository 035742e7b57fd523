"""Korean first, English second: the main pages in both languages, with data that has no Korean
of its own, show Korean text only in Korean."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format

from applications import services
from applications.models import Application, ApplicationItem, Membership, PriorityClaim
from tests.factories import CallFactory, CallOfferingFactory, MembershipFactory, OfferingFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
# The language switcher names each language in itself ("한국어" on the English page, by design).
SWITCHER_BUTTON = re.compile(r'<button[^>]*\blang="ko"[^>]*>.*?</button>', re.S)


@pytest.fixture
def site(applicant, reviewer, operator):
    gpu = OfferingFactory(name="A100 GPU")
    draft_call = CallFactory(title="Spring 2031 call", description="GPU for AI companies.")
    submitted_call = CallFactory(title="Autumn 2031 call", description="GPU for AI companies.")
    for call in (draft_call, submitted_call):
        CallOfferingFactory(call=call, offering=gpu, max_per_application=8)
    organization = OrganizationFactory(legal_name="Acme AI Ltd", address="123 Cheomdan-ro, Buk-gu, Gwangju")
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)
    draft = services.application_start(actor=applicant, call=draft_call, organization=organization)
    submitted = Application.objects.create(
        organization=organization,
        call=submitted_call,
        status=Application.Status.SUBMITTED,
        submitted_at=timezone.now(),
        purpose="training",
        project_title="Defect detection",
        summary="Summary",
        plan="Plan",
        expected_outcome="Outcome",
        industry_domain="automotive",
    )
    ApplicationItem.objects.create(
        application=submitted,
        offering=gpu,
        quantity=2,
        starts_on=submitted_call.service_starts_on,
        ends_on=submitted_call.service_ends_on,
    )
    PriorityClaim.objects.create(application=submitted, kind="gwangju_located", details="Head office in Gwangju")
    return {
        "applicant": applicant,
        "reviewer": reviewer,
        "operator": operator,
        "pages": [
            (None, reverse("home")),
            (None, reverse("call_list")),
            (None, reverse("call_detail", args=[draft_call.pk])),
            (None, reverse("public_statistics")),
            ("applicant", reverse("application_list")),
            *[
                ("applicant", reverse("application_step", args=[draft.pk, step]))
                for step in ("organisation", "project", "resources", "priority", "documents")
            ],
            ("applicant", reverse("application_review", args=[draft.pk])),
            ("applicant", reverse("application_detail", args=[submitted.pk])),
            ("reviewer", reverse("admin:applications_application_changelist")),
            ("reviewer", reverse("admin:applications_application_decide", args=[submitted.pk])),
            ("operator", reverse("dashboard") + f"?call={submitted_call.pk}"),
        ],
    }


def page_text(client, site, user, path, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user:
        client.force_login(site[user])
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Language"] == language
    return SWITCHER_BUTTON.sub("", response.content.decode())


def test_the_main_pages_are_in_korean_by_default(client, site):
    for user, path in site["pages"]:
        client.cookies.clear()
        if user:
            client.force_login(site[user])
        response = client.get(path)
        assert response["Content-Language"] == "ko", path
        assert HANGUL.search(response.content.decode()), path


def test_the_main_pages_in_english_have_no_korean(client, site):
    for user, path in site["pages"]:
        text = page_text(client, site, user, path, "en")
        leaks = sorted(
            {match.group(0) for match in re.finditer(r"[^<>\n]{0,30}" + HANGUL.pattern + r"[^<>\n]{0,30}", text)}
        )
        assert leaks == [], f"{path}: {leaks}"


def test_the_main_pages_in_korean_say_it_in_korean(client, site):
    for user, path in site["pages"]:
        assert HANGUL.search(page_text(client, site, user, path, "ko")), path


def test_dates_times_and_numbers_in_korean_style():
    moment = datetime(2026, 4, 3, 18, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    with translation.override("ko"):
        assert date_format(moment, "DATETIME_FORMAT") == "2026년 4월 3일(금) 18:00"
        assert date_format(moment.date(), "DATE_FORMAT") == "2026년 4월 3일(금)"
        assert date_format(moment.date(), "SHORT_DATE_FORMAT") == "2026. 4. 3."
        assert number_format(1234567, force_grouping=True) == "1,234,567"
    with translation.override("en"):
        assert date_format(moment, "DATETIME_FORMAT") == "3 April 2026, 18:00"


def log_in(client, email):
    from tests.conftest import PASSWORD

    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    return client.get(reverse("application_list"))


def test_a_users_language_choice_follows_them_to_another_browser(client, applicant):
    from django.test import Client

    client.force_login(applicant)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    other_browser = Client()
    response = log_in(other_browser, applicant.email)

    assert response["Content-Language"] == "en"
    assert other_browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert other_browser.get(reverse("home"))["Content-Language"] == "en"


def test_without_a_choice_the_site_stays_korean_after_login(client, applicant):
    response = log_in(client, applicant.email)

    assert response["Content-Language"] == "ko"
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_the_browsers_own_choice_wins_over_the_saved_one(client, applicant):
    from django.test import Client

    client.force_login(applicant)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    browser = Client()
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"

    assert log_in(browser, applicant.email)["Content-Language"] == "ko"
