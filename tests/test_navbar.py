"""The navigation bar says where the user is (aria-current, underlined by the stylesheet), and
keeps the account's links in a disclosure that opens without JavaScript."""

import re

import pytest
from django.urls import reverse

from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def link(page: str, href: str) -> str:
    return re.search(rf'<a class="nav-link" href="{re.escape(href)}"[^>]*>', page).group(0)


def test_the_current_page_and_section_are_marked(client, applicant):
    call = CallFactory()
    client.force_login(applicant)

    calls = client.get(reverse("call_list")).content.decode()
    assert 'aria-current="page"' in link(calls, "/calls/")
    assert "aria-current" not in link(calls, "/statistics/")

    detail = client.get(reverse("call_detail", args=[call.pk])).content.decode()
    assert 'aria-current="true"' in link(detail, "/calls/")  # the section, not the page

    mine = client.get(reverse("application_list")).content.decode()
    assert 'aria-current="page"' in link(mine, "/applications/")
    assert "aria-current" not in link(mine, "/calls/")


def test_the_account_links_are_in_a_disclosure_named_by_the_address(client, applicant):
    client.force_login(applicant)

    page = client.get(reverse("home")).content.decode()

    menu = re.search(r'<li class="nav-item account-menu">(.*?)</details>', page, re.S).group(1)
    assert "<summary" in menu and applicant.email in menu
    assert 'href="/accounts/password/change/"' in menu and 'action="/accounts/logout/"' in menu
