"""Korean business registration numbers (사업자등록번호): ``123-45-67890``, ten digits, the last a
check digit over the first nine.

The first nine are three parts, each of which has values no number is ever given: the tax office
that issued it (세무서 코드, 101 and above), the kind of business (구분 코드, 01–99: 01–79 and 90–99
individuals, 80–89 corporations and other bodies; never 00) and a serial (일련번호, 0001–9999; never
0000). A number that passes the check digit but not these (``000-00-00000``) cannot be real."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_SHAPE = re.compile(r"^[0-9]{3}-?[0-9]{2}-?[0-9]{5}$")  # ASCII only: \d also matches ０-９


def check_digit(first_nine: str) -> int:
    digits = [int(c) for c in first_nine]
    total = sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))
    total += digits[8] * 5 // 10  # the ninth digit's weighted tens are added once more
    return (10 - total % 10) % 10


def normalize_business_number(value: str) -> str:
    """Digits only (``1234567890``), or a ValidationError saying what is wrong."""
    text = (value or "").strip()
    if not _SHAPE.match(text):
        raise ValidationError(
            _("Enter the 10-digit business registration number, as 123-45-67890 or 1234567890."),
            code="format",
        )
    digits = text.replace("-", "")
    if check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("This business registration number is not valid: its check digit does not match."),
            code="check_digit",
        )
    office, kind, serial = int(digits[:3]), digits[3:5], digits[5:9]
    if office < 101 or kind == "00" or serial == "0000":
        raise ValidationError(
            _(
                "This business registration number cannot be real. Check the 10-digit number on the business "
                "registration certificate."
            ),
            code="impossible",
        )
    return digits


def validate_business_number(value: str) -> None:
    normalize_business_number(value)


def format_business_number(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else digits
