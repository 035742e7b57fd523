"""A password-reset link works for an hour, not Django's three days (security review, finding 18)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Notification

pytestmark = pytest.mark.django_db

START = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)


def reset_link(client, applicant) -> str:
    client.post(reverse("account_reset_password"), {"email": applicant.email})
    body = Notification.objects.get().body
    return body[body.index("/accounts/password/reset/key/") :].split()[0]


def opens(client, link: str) -> bool:
    """Whether the link leads to the form for a new password (an expired one shows an error)."""
    response = client.get(link, follow=True)
    return "password1" in response.content.decode()


@pytest.mark.parametrize(("minutes", "works"), [(5, True), (59, True), (61, False), (24 * 60, False)])
def test_a_reset_link_works_for_an_hour(client, applicant, minutes, works):
    with time_machine.travel(START, tick=False) as clock:
        link = reset_link(client, applicant)

        clock.shift(timedelta(minutes=minutes))

        assert opens(client, link) is works
