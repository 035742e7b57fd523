"""개인정보 수집·이용 동의 at sign-up: required and optional items apart, each with its purpose, data,
retention and the right to refuse; the answers recorded with the documents' versions and the time."""

import pytest
from django.urls import reverse

from accounts.models import User
from privacy.documents import PRIVACY_VERSION, TERMS_VERSION
from privacy.models import Consent
from tests.consents import CONSENTS
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

ACCOUNT = {"email": "new@example.kr", "password1": "a-long-and-unusual-passphrase-42"}
ACCOUNT["password2"] = ACCOUNT["password1"]


def sign_up(client, **fields):
    response = client.post(reverse("account_signup"), {**ACCOUNT, **fields}, HTTP_ACCEPT_LANGUAGE="ko")
    deliver_queued()
    return response


def test_the_sign_up_page_lists_the_required_and_the_optional_items_apart(client):
    page = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    required, optional = page.index("필수 동의"), page.index("선택 동의")
    assert required < optional
    for heading in ("수집 항목", "보유 및 이용 기간"):
        assert page.count(heading) == 2
    assert "동의를 거부할 권리가 있습니다. 다만" in page[required:optional]  # refusing the required: no account
    assert "거부하더라도 회원가입과 포털 이용에 아무런 제한이 없습니다" in page[optional:]
    assert f'href="{reverse("terms")}"' in page and f'href="{reverse("privacy_policy")}"' in page


def test_no_account_without_the_required_consents(client):
    response = sign_up(client, agree_terms="on")

    assert response.status_code == 200
    assert "회원가입을 하려면 개인정보 수집·이용에 동의해 주세요." in response.content.decode()
    assert not User.objects.exists() and not Consent.objects.exists()


def test_the_answers_are_recorded_with_their_versions_and_time(client):
    sign_up(client, **CONSENTS)

    user = User.objects.get(email="new@example.kr")
    answers = {c.item: (c.agreed, c.version) for c in Consent.objects.filter(user=user)}
    assert answers == {
        "terms": (True, TERMS_VERSION),
        "privacy_required": (True, PRIVACY_VERSION),
        "privacy_optional_name": (False, PRIVACY_VERSION),
    }
    assert all(c.recorded_at is not None for c in Consent.objects.all())
    assert user.first_name == ""


def test_the_optional_name_is_kept_only_with_its_consent(client):
    refused = sign_up(client, **CONSENTS, name="김하늘")
    assert refused.status_code == 200 and "이름 수집·이용(선택)에 동의해 주세요" in refused.content.decode()
    assert not User.objects.exists()

    sign_up(client, **CONSENTS, agree_name="on", name="김하늘")

    user = User.objects.get()
    assert user.first_name == "김하늘"
    assert user.consents.get(item="privacy_optional_name").agreed is True


@pytest.mark.parametrize(("name", "heading"), [("privacy_policy", "개인정보 처리방침"), ("terms", "이용약관")])
def test_the_policies_are_public_and_linked_from_every_page(client, name, heading):
    page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="ko")

    assert page.status_code == 200
    assert f'<h1 class="h3">{heading}</h1>' in page.content.decode()
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    footer = home[home.index("<footer") :]
    assert f'href="{reverse(name)}"' in footer
