"""내 동의 내역: a person sees what they agreed to (item, answer, version, time) and gives or
withdraws the optional consent (their name) as easily as at sign-up; withdrawn, the name is erased."""

import pytest
from django.urls import reverse

from privacy import services
from privacy.documents import PRIVACY_VERSION, TERMS_VERSION, ConsentItem
from privacy.models import Consent
from tests.conftest import make_user
from tests.consents import CONSENTS

pytestmark = pytest.mark.django_db

ACCOUNT = {"email": "new@example.kr", "password1": "a-long-and-unusual-passphrase-42"}
ACCOUNT["password2"] = ACCOUNT["password1"]


def agree_to_everything(user) -> None:
    services.consents_record(user=user, answers=dict.fromkeys(ConsentItem.values, True))


def page(client) -> str:
    response = client.get(reverse("consents"), HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_each_answer_given_at_sign_up_with_its_version(client):
    client.post(reverse("account_signup"), {**ACCOUNT, **CONSENTS, "agree_name": "on", "name": "김하늘"})
    client.login(email=ACCOUNT["email"], password=ACCOUNT["password1"])

    html = page(client)

    for label in ("이용약관", "개인정보 수집·이용 동의(필수)", "이름 수집·이용 동의(선택)"):
        assert label in html, label
    assert html.count("동의함") == 3 and TERMS_VERSION in html and PRIVACY_VERSION in html
    assert "김하늘" in html and "동의 철회 및 이름 삭제" in html
    assert f'href="{reverse("account_delete")}"' in html


def test_withdrawing_the_name_consent_erases_the_name_and_records_a_new_answer(client):
    user = make_user("named@example.kr", first_name="김하늘", last_name="")
    agree_to_everything(user)
    client.force_login(user)

    response = client.post(reverse("consents"), {"action": "withdraw"}, HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 302 and response["Location"] == reverse("consents")
    user.refresh_from_db()
    assert user.first_name == ""
    answers = list(Consent.objects.filter(user=user, item=ConsentItem.PRIVACY_OPTIONAL_NAME).order_by("pk"))
    assert [answer.agreed for answer in answers] == [True, False]  # the earlier answer stays provable
    assert answers[-1].version == PRIVACY_VERSION
    html = page(client)
    assert "동의하지 않음" in html and "김하늘" not in html
    assert "동의를 철회하여 이름을 삭제했습니다" in html


def test_agreeing_later_keeps_the_name_and_a_blank_name_is_refused(client):
    user = make_user("later@example.kr")
    client.force_login(user)
    assert "기록된 응답 없음" in page(client)  # an account made before consents were recorded

    refused = client.post(reverse("consents"), {"action": "agree", "name": "  "}, HTTP_ACCEPT_LANGUAGE="ko")

    html = refused.content.decode()
    assert refused.status_code == 200 and "이름 수집에 동의하려면 이름을 입력해 주세요" in html
    assert "<title>오류: 내 동의 내역" in html and 'id="error-summary"' in html and 'href="#id_name"' in html
    assert not Consent.objects.filter(user=user).exists()

    client.post(reverse("consents"), {"action": "agree", "name": " 이도윤 "})

    user.refresh_from_db()
    assert user.first_name == "이도윤"
    assert Consent.objects.get(user=user).agreed


def test_the_page_is_for_logged_in_people_and_answers_only_for_oneself(client):
    anonymous = client.get(reverse("consents"))
    assert anonymous.status_code == 302 and reverse("account_login") in anonymous["Location"]

    one = make_user("one@example.kr", first_name="하나")
    other = make_user("other-person@example.kr", first_name="둘")
    services.name_consent_set(actor=one, agreed=True, name="하나")
    client.force_login(other)
    client.post(reverse("consents"), {"action": "withdraw", "user": one.pk})

    one.refresh_from_db()
    assert one.first_name == "하나"
    assert Consent.objects.filter(user=one).count() == 1


def test_the_footer_links_the_page_for_every_logged_in_person(client, applicant):
    client.force_login(applicant)
    assert f'href="{reverse("consents")}"' in client.get(reverse("home")).content.decode()


def test_a_name_kept_without_a_recorded_consent_is_shown_and_can_be_erased(client):
    # Set by an administrator, or kept from before the consents were recorded.
    user = make_user("admin-named@example.kr", first_name="박서준", last_name="")
    client.force_login(user)

    html = page(client)
    assert "박서준" in html and 'value="withdraw"' in html and 'value="agree"' not in html

    client.post(reverse("consents"), {"action": "withdraw"})

    user.refresh_from_db()
    assert user.get_full_name() == ""
    assert not Consent.objects.get(user=user).agreed


def test_an_agreement_given_without_a_name_offers_both_to_give_one_and_to_withdraw(client):
    user = make_user("agreed-blank@example.kr")
    agree_to_everything(user)
    client.force_login(user)

    html = page(client)

    assert 'value="agree"' in html and 'value="withdraw"' in html


def test_staff_are_told_to_ask_an_administrator_not_sent_to_a_page_that_refuses_them(client, reviewer):
    client.force_login(reviewer)

    html = page(client)

    assert "관리자에게 요청해 주세요" in html
    assert f'href="{reverse("account_delete")}"' not in html


def test_withdrawing_again_records_nothing_new():
    user = make_user("twice@example.kr", first_name="하나")
    services.name_consent_set(actor=user, agreed=False)
    services.name_consent_set(actor=user, agreed=False)

    assert Consent.objects.filter(user=user).count() == 1
