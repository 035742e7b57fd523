"""A call's priority policy: each change is kept with who made it; a non-change is not."""

import pytest
from django.urls import reverse

from applications.models import PriorityPolicyChange
from applications.services import priority_policy_set
from tests.allocations.conftest import make_call

pytestmark = pytest.mark.django_db


def test_a_policy_change_records_who_made_it_and_the_points_before_and_after(gpu_pool, operator):
    call = make_call(gpu_pool)

    assert priority_policy_set(actor=operator, call=call, points={"gwangju_located": 50}) is True

    [change] = PriorityPolicyChange.objects.filter(call=call)
    assert change.actor == operator
    assert "gwangju_located: 30" in change.before and "gwangju_located: 50" in change.after


def test_points_that_leave_the_policy_as_it_is_record_nothing(gpu_pool, operator):
    call = make_call(gpu_pool)

    assert priority_policy_set(actor=operator, call=call, points={"gwangju_located": 30}) is False
    assert not PriorityPolicyChange.objects.exists()


def test_the_calls_page_shows_its_policy_history(client, gpu_pool, operator):
    call = make_call(gpu_pool)
    priority_policy_set(actor=operator, call=call, points={"relocating": 25})
    client.force_login(operator)

    page = client.get(reverse("admin:applications_call_change", args=[call.pk]))

    assert page.status_code == 200
    assert "relocating: 25" in page.content.decode()
