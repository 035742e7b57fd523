"""A database that cannot be reached answers a 503 page that says so, not a 500 (portal/views.py).

The PostgreSQL restart itself is tests/integration/test_database_restart.py."""

import pytest
from django.db import OperationalError
from django.test import Client

from applications import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_gone(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    monkeypatch.setattr(selectors, "open_calls", refuse)


def test_a_database_that_cannot_be_reached_answers_503_with_a_page_that_says_so(database_gone):
    response = Client(raise_request_exception=False).get("/", HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "잠시 이용할 수 없습니다" in page
    assert '<html lang="ko">' in page


def test_other_errors_are_still_500(monkeypatch):
    def fail(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(selectors, "open_calls", fail)

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 500
