from datetime import UTC, datetime
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.conftest import enrol_authenticator_app, totp_code

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_logins_work(seeded, seed_again, client):
    output = seed_again()

    assert User.objects.filter(email__in=[a.email for a in DEMO_ACCOUNTS]).count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        client.logout()
        response = client.post(reverse("account_login"), {"login": account.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.email
        if account.second_factor:  # then the code of the published secret
            assert response["Location"] == reverse("mfa_authenticate")
            response = client.post(reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)})
            assert response.status_code == 302, account.email
        assert client.session["_auth_user_id"] == str(User.objects.get(email=account.email).pk)
    reviewer = User.objects.get(email="reviewer@portal.test")
    assert reviewer.is_staff and reviewer.groups.filter(name="Reviewers").exists()
    assert not User.objects.get(email="applicant@portal.test").is_staff
    # `make run` prints the logins, as the README's table lists them, with the staff's second factor.
    logins = (
        "Demo logins (password for all: portal-demo-2026):\n"
        "  applicant  applicant@portal.test\n"
        "  reviewer   reviewer@portal.test    then a code: TOTP secret NAIDCDEMOSECRETNEVERINPRODUCTION\n"
        "  operator   operator@portal.test    then a code: TOTP secret NAIDCDEMOSECRETNEVERINPRODUCTION\n"
        "  evaluator  evaluator@experts.test  then a code: TOTP secret NAIDCDEMOSECRETNEVERINPRODUCTION\n"
    )
    assert output.startswith(logins)
    assert seeded.startswith(logins)
    uris = [line.split()[-1] for line in output.splitlines() if "otpauth://" in line]
    assert [urlsplit(uri).path for uri in uris] == [
        "/reviewer%40portal.test",
        "/operator%40portal.test",
        "/evaluator%40experts.test",
    ]
    assert all(parse_qs(urlsplit(uri).query)["secret"] == [DEMO_TOTP_SECRET] for uri in uris)


def test_only_the_demo_staff_and_evaluator_hold_the_demo_secret_and_seeding_again_restores_it(seeded, seed_again):
    reviewer = User.objects.get(email="reviewer@portal.test")
    Authenticator.objects.filter(user=reviewer).delete()
    enrol_authenticator_app(reviewer)  # someone enrolled their own phone on the demo

    seed_again()

    holders = {
        authenticator.user.email
        for authenticator in Authenticator.objects.filter(type="totp").select_related("user")
        if decrypt(authenticator.data["secret"]) == DEMO_TOTP_SECRET
    }
    assert holders == {"reviewer@portal.test", "operator@portal.test", "evaluator@experts.test"}
    assert not User.objects.get(email="applicant@portal.test").is_staff
    assert not Authenticator.objects.filter(user__email="applicant@portal.test").exists()


def test_demo_totp_prints_the_current_code():
    moment = datetime(2031, 3, 2, 9, 0, 20, tzinfo=UTC)
    out = StringIO()

    with time_machine.travel(moment, tick=False):
        call_command("demo_totp", stdout=out)

    assert out.getvalue().startswith(f"{totp_code(DEMO_TOTP_SECRET, at=moment.timestamp())}  (valid 10 s more;")


def test_seed_demo_refuses_to_publish_passwords_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")
