"""Passwords the portal's attackers try first are refused, beyond Django's list of common ones
(security review, finding 18)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.passwords import portal_words
from tests.conftest import PASSWORD
from tests.consents import CONSENTS

with translation.override("ko"):
    TOO_COMMON = translation.gettext("This password is too common.")


def refused(password: str) -> bool:
    try:
        validate_password(password)
    except ValidationError as error:
        return "password_too_common" in [e.code for e in error.error_list]
    return False


@pytest.mark.parametrize(
    "password",
    [
        "aidatacenter",  # the portal's name
        "AIDataCenter2026!",  # ...with a year and a symbol
        "nationalaidatacenter",
        "국가AI데이터센터1234",
        "qwer1234!@#$",  # keyboard patterns
        "1q2w3e4r5t!!",
        "1qaz2wsx3edc",
        "tkfkdgo12345",  # 사랑해 typed on a Latin keyboard
        "dkssudgktpdy",  # 안녕하세요
        "사랑해1234567",
        "administrator1",
        "Passw0rd2026!",
    ],
)
def test_guessable_passwords_are_refused(password):
    assert refused(password)


def test_djangos_own_list_still_applies():
    assert refused("password123")


@pytest.mark.parametrize(
    "password", [PASSWORD, "gwangju-in-the-spring-rain", "데이터센터에서-만난-고양이", "my-aidatacenter-plan-b"]
)
def test_passphrases_that_merely_contain_a_listed_word_are_accepted(password):
    assert not refused(password)


def test_the_list_is_lower_case_so_that_every_entry_can_match():
    assert all(word == word.lower() and word.strip() == word for word in portal_words())


@pytest.mark.django_db
def test_sign_up_refuses_a_guessable_password_in_korean(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.kr",
            "password1": "aidatacenter2026!",
            "password2": "aidatacenter2026!",
            **CONSENTS,
        },
    )

    assert response.status_code == 200
    assert TOO_COMMON in response.content.decode()
    assert TOO_COMMON != "This password is too common."
