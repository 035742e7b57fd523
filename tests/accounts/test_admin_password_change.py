"""The admin's "change password" leads to the site's page, which limits the attempts: Django's own
admin form checked any number of old-password guesses (security review, finding 10)."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-7"


def change(client, url: str, old_password: str):
    return client.post(
        url,
        {
            # Django's admin form and allauth's, both filled in.
            "old_password": old_password,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "oldpassword": old_password,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


def test_the_admins_password_change_sends_staff_to_the_sites_page(client, reviewer):
    client.force_login(reviewer)

    response = client.get(reverse("admin:password_change"))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


def test_guessing_the_old_password_through_the_admin_changes_nothing(client, reviewer):
    client.force_login(reviewer)
    for _ in range(30):
        assert change(client, reverse("admin:password_change"), "guess").status_code == 302

    change(client, reverse("admin:password_change"), PASSWORD)

    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_the_page_it_leads_to_refuses_a_sixth_attempt_in_a_minute(client, reviewer):
    client.force_login(reviewer)
    url = client.get(reverse("admin:password_change"))["Location"]
    for _ in range(5):
        assert change(client, url, "guess").status_code == 200

    assert change(client, url, PASSWORD).status_code == 429
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)


def test_the_admins_link_still_leads_there(client, reviewer):
    client.force_login(reviewer)

    page = client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("admin:password_change")}"' in page


def test_visitors_who_are_not_staff_are_still_refused_by_the_admin(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("admin:password_change")).status_code != 200
    assert (
        not client.get(reverse("admin:password_change"))
        .get("Location", "")
        .startswith(reverse("account_change_password"))
    )
