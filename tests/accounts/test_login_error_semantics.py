"""A failed login is announced (role="alert") and both fields say they are invalid and why
(aria-invalid, aria-describedby to the error), for screen-reader users (KWCAG 2.2 error handling)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def field(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def test_a_failed_login_is_an_alert_the_fields_point_to(client, applicant):
    response = client.post(reverse("account_login"), {"login": applicant.email, "password": "not-the-password"})

    page = response.content.decode()
    assert response.status_code == 200
    alert = re.search(r'<div class="alert[^"]*" role="alert" id="form-errors">(.*?)</div>', page, re.S)
    assert alert and "올바르지 않습니다" in alert.group(1)
    for name in ("login", "password"):
        assert 'aria-invalid="true"' in field(page, name)
        assert re.search(r'aria-describedby="form-errors\b', field(page, name))


def test_the_login_page_before_any_attempt_marks_nothing_invalid(client):
    page = client.get(reverse("account_login")).content.decode()

    assert "aria-invalid" not in page and 'role="alert"' not in page
