"""Bits a Korean applicant met in English or in two shapes (issue 17, item 8): drop-downs' blank
choice, the login box, one date format on the call pages and the statistics, and the truth about
the e-mail after signing up again with a registered address."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from tests.allocations.conftest import make_call
from tests.consents import CONSENTS
from tests.mailbox import deliver_queued
from tests.test_korean_formats import cores  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_the_drop_downs_blank_choice_is_korean(client, applicant):
    client.force_login(applicant)

    page = client.get(reverse("organization_create"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "- 선택하세요 -" in page
    assert "Select an option" not in page


def test_the_login_box_keeps_the_session_and_says_so(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "로그인 상태 유지" in page and "Remember Me" not in page and "아이디 저장" not in page


def test_the_call_page_and_the_statistics_write_the_deadline_alike(client, cores):  # noqa: F811
    # 09:00 UTC is 18:00 in Seoul; 2031-03-21 is a Friday. The call is open, so the statistics list it.
    call = make_call(cores, deadline=datetime(2031, 3, 21, 9, 0, tzinfo=UTC))
    written = "2031년 3월 21일(금) 18:00"

    call_page = client.get(reverse("call_detail", args=[call.pk]), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    statistics = client.get(reverse("public_statistics"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert written in call_page
    assert written in statistics


def test_signing_up_again_with_a_registered_address_sends_the_mail_the_page_speaks_of(client, applicant):
    response = client.post(
        reverse("account_signup"),
        {
            "email": applicant.email,
            "password1": "a-long-and-unusual-passphrase-42",
            "password2": "a-long-and-unusual-passphrase-42",
            **CONSENTS,
        },
        HTTP_ACCEPT_LANGUAGE="ko",
        follow=True,
    )
    [sent] = deliver_queued()

    # The page says a mail was sent: one was, to that address, saying an account exists.
    assert "메일" in response.content.decode()
    assert sent.to == [applicant.email]
    assert "이미 있습니다" in sent.body
    assert reverse("account_reset_password") in sent.body
    assert len(mail.outbox) == 1
