from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def test_only_open_calls_are_listed(client, open_call):
    closed = CallFactory(
        title="지난 공고", opens_at=timezone.now() - timedelta(days=30), deadline=timezone.now() - timedelta(days=1)
    )
    future = CallFactory(title="예정 공고", opens_at=timezone.now() + timedelta(days=3))

    page = client.get(reverse("call_list")).content.decode()

    assert open_call.title in page
    assert closed.title not in page and future.title not in page
    assert open_call.title in client.get(reverse("home")).content.decode()


def test_the_deadline_is_shown_in_seoul_time_with_a_countdown(client):
    # 09:00 UTC is 18:00 in Seoul.
    call = CallFactory(deadline=datetime(2099, 4, 3, 9, 0, tzinfo=UTC))

    page = client.get(reverse("call_detail", args=[call.pk])).content.decode()

    assert "2099년 4월 3일(금) 18:00" in page and "KST" not in page
    assert 'data-countdown data-deadline="2099-04-03T18:00:00+09:00"' in page
    assert "/static/js/countdown.js" in page


def test_a_closed_call_page_says_so_and_offers_no_apply_button(client, applicant):
    call = CallFactory(opens_at=timezone.now() - timedelta(days=30), deadline=timezone.now() - timedelta(days=1))
    client.force_login(applicant)

    response = client.get(reverse("call_detail", args=[call.pk]))

    assert response.context["is_open"] is False
    assert reverse("call_apply", args=[call.pk]) not in response.content.decode()


def test_an_unknown_call_is_404(client):
    assert client.get(reverse("call_detail", args=[999999])).status_code == 404


# --- A call before its opening is not public (security review, finding 15) -----------------------


def test_a_call_before_its_opening_is_not_found_by_anyone_on_the_site(client, applicant, reviewer):
    future = CallFactory(title="예정 공고", opens_at=timezone.now() + timedelta(days=3))
    detail = reverse("call_detail", args=[future.pk])

    assert client.get(detail).status_code == 404
    client.force_login(applicant)
    assert client.get(detail).status_code == 404
    client.force_login(reviewer)  # staff see it in the admin, not here
    assert client.get(detail).status_code == 404


def test_no_one_applies_to_a_call_before_its_opening(client, applicant):
    from applications.models import Application, Membership
    from tests.factories import MembershipFactory

    future = CallFactory(opens_at=timezone.now() + timedelta(days=3))
    membership = MembershipFactory(user=applicant, role=Membership.Role.OWNER)
    client.force_login(applicant)

    response = client.post(reverse("call_apply", args=[future.pk]), {"organization": membership.organization_id})

    assert response.status_code == 404
    assert not Application.objects.filter(call=future).exists()


def test_a_call_that_has_opened_stays_public_after_its_deadline(client):
    closed = CallFactory(opens_at=timezone.now() - timedelta(days=30), deadline=timezone.now() - timedelta(days=1))

    assert client.get(reverse("call_detail", args=[closed.pk])).status_code == 200
