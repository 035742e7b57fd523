"""Passwords too easy to guess, beyond Django's list (OWASP ASVS 6.2.12; security review, finding 18).

Django's ``CommonPasswordValidator`` knows 20,000 passwords common the world over. This one also
refuses what attackers of this portal try first and that list misses: the portal's own names,
keyboard patterns common in Korean breaches, Korean words typed on a Latin keyboard or in Hangul
(``accounts/common_passwords.txt``), each also with digits and symbols after it
(``aidatacenter2026!``, ``qwer1234!@#$``). An offline list, not a breach service: the portal works
without reaching the internet. Its message is Django's ("This password is too common.").
"""

import re
from pathlib import Path

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

PORTAL_LIST = Path(__file__).resolve().parent / "common_passwords.txt"
# What may follow a listed word and still leave the password as guessable as the word.
_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]*")


def portal_words(path: Path = PORTAL_LIST) -> tuple[str, ...]:
    lines = (line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.portal_words = portal_words()

    def validate(self, password: str, user=None) -> None:
        super().validate(password, user)  # Django's list, as it was
        guess = password.lower().strip()
        for word in self.portal_words:
            if guess.startswith(word) and _DIGITS_AND_SYMBOLS.fullmatch(guess, len(word)):
                raise ValidationError(self.get_error_message(), code="password_too_common")
