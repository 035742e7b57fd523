import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from applications.business_number import check_digit, format_business_number, normalize_business_number

# Real-world shaped numbers whose check digits were computed by hand with weights 1,3,7,1,3,7,1,3,5.
VALID = ["2208162517", "1048100015", "1234567891", "1018200013"]


def valid_number(first_nine: str) -> str:
    return first_nine + str(check_digit(first_nine))


def test_a_hand_computed_check_digit():
    # 1·1 + 2·3 + 3·7 + 4·1 + 5·3 + 6·7 + 7·1 + 8·3 + 9·5 = 165; + floor(9·5 / 10) = 4 → 169; 10 - 9 = 1
    assert check_digit("123456789") == 1


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_accepted_with_or_without_hyphens(number):
    assert normalize_business_number(number) == number
    assert normalize_business_number(format_business_number(number)) == number
    assert normalize_business_number(f"  {format_business_number(number)} ") == number


@pytest.mark.parametrize("number", VALID)
def test_every_single_digit_corruption_is_rejected(number):
    for position in range(10):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            corrupted = number[:position] + digit + number[position + 1 :]
            with pytest.raises(ValidationError) as refused:
                normalize_business_number(corrupted)
            assert refused.value.code == "check_digit", corrupted


@pytest.mark.parametrize(
    "text",
    ["", "123", "12345678901", "123-456-7890", "12-345-67890", "abc-de-fghij", "123 45 67890", "１２３４５６７８９０"],
)
def test_malformed_input_gets_a_format_message(text):
    with pytest.raises(ValidationError) as refused:
        normalize_business_number(text)

    assert refused.value.code == "format"


@given(st.text(max_size=30))
def test_any_text_is_either_normalised_or_refused_never_an_error(text):
    try:
        digits = normalize_business_number(text)
    except ValidationError:
        return
    assert len(digits) == 10 and digits.isascii() and digits.isdigit()
    assert check_digit(digits[:9]) == int(digits[9])


@given(st.from_regex(r"\A[0-9]{9}\Z"))
def test_every_nine_digits_have_exactly_one_valid_check_digit(first_nine):
    # Nine digits that no number can start with accept none (see the test of impossible numbers).
    assume(int(first_nine[:3]) >= 101 and first_nine[3:5] != "00" and first_nine[5:] != "0000")
    accepted = []
    for digit in "0123456789":
        try:
            normalize_business_number(first_nine + digit)
            accepted.append(digit)
        except ValidationError:
            pass

    assert accepted == [str(check_digit(first_nine))]


@pytest.mark.parametrize(
    "number",
    [
        "000-00-00000",  # passes the check digit, names nothing
        valid_number("000812345"),  # no tax office has the code 000
        valid_number("100812345"),  # nor 100: the codes start at 101
        valid_number("220002345"),  # the kind of business is never 00
        valid_number("220810000"),  # the serial starts at 0001
    ],
)
def test_numbers_that_pass_the_check_digit_but_cannot_be_real_are_refused(number):
    with pytest.raises(ValidationError) as refused:
        normalize_business_number(number)

    assert refused.value.code == "impossible"


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_the_factories_numbers_are_all_possible(n):
    from tests.factories import business_number

    assert normalize_business_number(business_number(n)) == business_number(n)
