"""The error pages production users get (DEBUG off): Korean first, the portal's look, and three ways
back (home, calls, my applications). The 500 page is static: it renders with the database down."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import path, reverse

from portal import urls as portal_urls
from tests.security.test_no_english_on_korean_pages import english_on


def boom(request):
    raise ValueError("a bug")


# This module is the URL conf of the 500 tests: the portal's URLs and one that fails.
urlpatterns = [path("boom/", boom), *portal_urls.urlpatterns]
handler500 = portal_urls.handler500

WAYS_BACK = ("/", "/calls/", "/applications/")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def assert_korean_with_ways_back(page: str, heading: str) -> None:
    assert heading in page
    assert '<html lang="ko">' in page
    for href in WAYS_BACK:
        assert f'href="{href}"' in page, href
    assert english_on(page) == []


@pytest.mark.django_db
def test_a_missing_page_is_korean_with_the_ways_back(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 404
    assert_korean_with_ways_back(response.content.decode(), "페이지를 찾을 수 없습니다")
    assert "Not Found" not in response.content.decode()


@pytest.mark.django_db
def test_a_forbidden_page_is_korean_with_the_ways_back(client, applicant):
    client.force_login(applicant)

    response = client.get("/ops/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 403
    assert_korean_with_ways_back(response.content.decode(), "접근 권한이 없습니다")


@pytest.mark.django_db
def test_a_form_refused_by_the_csrf_check_gets_the_portals_page(applicant):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(applicant)

    response = client.post(reverse("application_list"), {})
    page = response.content.decode()

    assert response.status_code == 403
    assert_korean_with_ways_back(page, "양식을 제출하지 못했습니다")
    assert "CSRF" not in page and "Forbidden" not in page


@pytest.mark.django_db
def test_a_server_error_answers_the_static_page_without_touching_the_database(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="ko")

    def database_down(execute, sql, params, many, context):
        raise AssertionError(f"the 500 page asked the database: {sql}")

    with connection.execute_wrapper(database_down):
        response = client.get("/boom/")

    assert response.status_code == 500
    assert_korean_with_ways_back(response.content.decode(), "일시적인 오류가 발생했습니다")


@pytest.mark.django_db
def test_a_bad_request_is_korean_with_the_ways_back(client):
    # A Host header outside ALLOWED_HOSTS is Django's own 400.
    response = client.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 400
    assert_korean_with_ways_back(response.content.decode(), "잘못된 요청입니다")
