import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_logins_work(client, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")

    assert User.objects.filter(email__in=[a.email for a in DEMO_ACCOUNTS]).count() == len(DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        client.logout()
        response = client.post(reverse("account_login"), {"login": account.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.email
    reviewer = User.objects.get(email="reviewer@portal.test")
    assert reviewer.is_staff and reviewer.groups.filter(name="Reviewers").exists()
    assert not User.objects.get(email="applicant@portal.test").is_staff


def test_seed_demo_refuses_to_publish_passwords_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")
