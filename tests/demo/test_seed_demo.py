import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_logins_work(seeded, seed_again, client):
    output = seed_again()

    assert User.objects.filter(email__in=[a.email for a in DEMO_ACCOUNTS]).count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        client.logout()
        response = client.post(reverse("account_login"), {"login": account.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.email
    reviewer = User.objects.get(email="reviewer@portal.test")
    assert reviewer.is_staff and reviewer.groups.filter(name="Reviewers").exists()
    assert not User.objects.get(email="applicant@portal.test").is_staff
    # `make run` prints the logins, as the README's table lists them.
    logins = (
        "Demo logins (password for all: portal-demo-2026):\n"
        "  applicant  applicant@portal.test\n"
        "  reviewer   reviewer@portal.test\n"
        "  operator   operator@portal.test\n"
    )
    assert output.startswith(logins)
    assert seeded.startswith(logins)


def test_seed_demo_refuses_to_publish_passwords_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")
