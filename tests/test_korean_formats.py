"""Korean is shown with the dates and numbers of a Korean public notice (issue #23): the weekday
after the date (2031년 1월 1일(수) 18:00), ranges with "~", thousands separated (25,600 코어),
no "KST" and no ISO dates; on pages, in e-mails, in error messages and in the admin. English
keeps its own formats."""

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from allocations.services import decisions
from applications.models import CallOffering, Membership
from applications.services import submission_problems
from pool.capacity import DoesNotFit
from pool.models import Offering
from portal import formats
from tests.allocations.conftest import make_call, make_pool, submitted_application
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# The calls of tests/allocations/conftest.py: 2031-01-01 is a Wednesday, 2031-03-31 a Monday.
SERVICE_PERIOD = "2031년 1월 1일(수) ~ 2031년 3월 31일(월)"


def visible_text(html: str) -> str:
    """The page without its scripts and attribute values (machine-readable dates stay ISO there)."""
    html = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return re.sub(r'="[^"]*"', '=""', html)


@pytest.fixture
def cores(db):
    return make_pool(600_000, name="CPU", kind=Offering.Kind.CPU, unit=Offering.Unit.CORE)


def test_the_helpers_write_korean_and_english_each_in_its_way():
    with translation.override("ko"):
        assert formats.day(date(2026, 12, 21)) == "2026년 12월 21일(월)"
        assert formats.moment(datetime(2026, 12, 21, 9, 0, tzinfo=UTC)) == "2026년 12월 21일(월) 18:00"
        assert formats.period(date(2027, 1, 6), date(2027, 7, 5)) == "2027년 1월 6일(수) ~ 2027년 7월 5일(월)"
        assert formats.figure(25600) == "25,600" and formats.figure(521200) == "521,200"
    with translation.override("en"):
        assert formats.day(date(2026, 12, 21)) == "21 December 2026"
        assert formats.moment(datetime(2026, 12, 21, 9, 0, tzinfo=UTC)) == "21 December 2026, 18:00"
        assert formats.period(date(2027, 1, 6), date(2027, 7, 5)) == "6 January 2027 – 5 July 2027"
        assert formats.figure(25600) == "25,600"


def test_the_call_page_writes_the_deadline_with_its_weekday_and_separates_quantities(client, cores):
    # 09:00 UTC is 18:00 in Seoul; 2031-03-21 is a Friday.
    call = make_call(cores, deadline=datetime(2031, 3, 21, 9, 0, tzinfo=UTC))
    CallOffering.objects.filter(call=call).update(max_per_application=25_600)

    page = client.get(reverse("call_detail", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "2031년 3월 21일(금) 18:00" in page
    assert SERVICE_PERIOD in page
    assert "25,600 코어" in page
    text = visible_text(page)
    assert not ISO_DATE.search(text) and "KST" not in text and " – " not in text


def test_the_call_list_card_too(client, cores):
    make_call(cores, deadline=datetime(2099, 4, 3, 9, 0, tzinfo=UTC), opens_at=datetime(2020, 1, 1, tzinfo=UTC))

    page = client.get(reverse("call_list"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "2099년 4월 3일(금) 18:00" in page and SERVICE_PERIOD in page
    assert not ISO_DATE.search(visible_text(page))


def test_the_application_status_page(client, cores, applicant, reviewer):
    application = submitted_application(make_call(cores), (cores, 25_600))
    MembershipFactory(organization=application.organization, user=applicant, role=Membership.Role.OWNER)
    decisions.application_approve(actor=reviewer, application=application)
    client.force_login(applicant)

    page = client.get(reverse("application_detail", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="ko")

    text = visible_text(page.content.decode())
    assert "25,600 코어" in text and SERVICE_PERIOD in text
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일\([월화수목금토일]\) \d{2}:\d{2}", text)  # the history
    assert not ISO_DATE.search(text) and "KST" not in text


def test_in_english_the_pages_keep_english_dates(client, cores):
    call = make_call(cores, deadline=datetime(2031, 3, 21, 9, 0, tzinfo=UTC))

    page = client.get(reverse("call_detail", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert "21 March 2031, 18:00" in text and "1 January 2031 – 31 March 2031" in text


def test_a_capacity_refusal_names_the_day_with_its_weekday_and_separates_the_quantities(cores, reviewer):
    # The pool holds 600,000 cores: 590,000 granted leave 10,000.
    first = submitted_application(make_call(cores), (cores, 590_000))
    decisions.application_approve(actor=reviewer, application=first)
    second = submitted_application(make_call(cores), (cores, 25_600))

    with translation.override("ko"), pytest.raises(DoesNotFit) as refused:
        decisions.application_approve(actor=reviewer, application=second)

    message = str(refused.value)
    assert "2031년 1월 1일(수)" in message and "25,600" in message and "10,000" in message
    assert not ISO_DATE.search(message)


def test_an_error_message_names_the_service_period_in_korean(cores):
    call = make_call(cores)
    application = submitted_application(call, (cores, 1, date(2030, 12, 1), date(2031, 1, 31)))

    with translation.override("ko"):
        problems = submission_problems(application)

    (outside,) = [problem for problem in problems if "CPU" in problem]
    assert SERVICE_PERIOD in outside and not ISO_DATE.search(outside)


def test_the_admin_shows_korean_dates_and_separated_numbers(client, cores, reviewer):
    application = submitted_application(make_call(cores), (cores, 25_600))
    client.force_login(reviewer)

    page = client.get(
        reverse("admin:applications_application_decide", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="ko"
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert "25,600" in text and SERVICE_PERIOD in text


def test_the_footer_says_korea_time_once_and_the_contact_in_korean(client, settings):
    settings.SUPPORT_EMAIL = "support@localhost"
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "모든 시각은 한국 시간 기준입니다." in page and "Asia/Seoul" not in visible_text(page)
    assert "문의처: 인공지능산업융합사업단 (이메일 support@localhost)" in page


def test_identifiers_are_not_grouped(client, applicant, cores):
    """Thousands separators are for quantities: an id in a form value or a reference stays digits."""
    organization = OrganizationFactory(pk=12_345)
    MembershipFactory(organization=organization, user=applicant, role=Membership.Role.OWNER)
    call = make_call(cores)
    client.force_login(applicant)

    page = client.get(reverse("call_detail", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert 'name="organization" value="12345"' in page and "12,345" not in page
