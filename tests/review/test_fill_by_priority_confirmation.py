"""Filling by priority approves the plan the reviewer confirmed, not one made again at the
click (security review, finding 8): the preview carries its plan's digest to the confirmation,
which approves nothing and shows the new plan if anything changed in between."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import ERROR, get_messages
from django.urls import reverse
from django.utils import timezone

from allocations.models import Allocation
from allocations.services import decisions, filling
from applications.models import Application, ApplicationTransition
from pool.services import capacity_phases_set
from tests.allocations.conftest import make_call, submitted_application

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=1)


@pytest.fixture
def race(gpu_pool):
    """10 GPUs; the call selects one. A (6 GPUs, score 50) is first, B (6 GPUs, score 40) second:
    the plan is "approve A"."""
    call = make_call(gpu_pool, selection_target=1)
    a = submitted_application(call, (gpu_pool, 6), submitted_at=T0)
    b = submitted_application(call, (gpu_pool, 6), submitted_at=T0 + timedelta(minutes=1))
    Application.objects.filter(pk=a.pk).update(priority_score=50)
    Application.objects.filter(pk=b.pk).update(priority_score=40)
    return call, a, b


def fill_url(call) -> str:
    return reverse("admin:applications_call_fill_by_priority", args=[call.pk])


def statuses(*applications) -> list[str]:
    return [Application.objects.get(pk=application.pk).status for application in applications]


def test_the_plan_shown_is_the_plan_approved(reviewer, race):
    call, a, b = race
    shown = filling.fill_by_priority_plan(actor=reviewer, call=call)

    approved, refused = filling.fill_by_priority_apply(actor=reviewer, call=call, confirmed=shown.digest)

    assert [application.pk for application in approved] == [a.pk] and refused == []
    assert statuses(a, b) == ["approved", "submitted"]


def test_a_plan_changed_by_a_new_score_is_refused_and_approves_nothing(reviewer, race):
    call, a, b = race
    shown = filling.fill_by_priority_plan(actor=reviewer, call=call)
    Application.objects.filter(pk=b.pk).update(priority_score=70)  # another reviewer verified B's claim

    with pytest.raises(filling.PlanChanged):
        filling.fill_by_priority_apply(actor=reviewer, call=call, confirmed=shown.digest)

    assert statuses(a, b) == ["submitted", "submitted"]
    assert not Allocation.objects.exists()


def test_a_plan_changed_by_another_approval_is_refused(reviewer, superuser, race, gpu_pool):
    call, a, b = race
    call.selection_target = 2
    call.save()
    shown = filling.fill_by_priority_plan(actor=reviewer, call=call)  # approve A only: B no longer fits
    decisions.application_approve(actor=superuser, application=b)  # meanwhile, by hand

    with pytest.raises(filling.PlanChanged):
        filling.fill_by_priority_apply(actor=reviewer, call=call, confirmed=shown.digest)

    assert statuses(a, b) == ["submitted", "approved"]


def test_a_plan_changed_by_a_capacity_phase_is_refused(reviewer, operator, race, gpu_pool):
    call, a, b = race
    shown = filling.fill_by_priority_plan(actor=reviewer, call=call)
    capacity_phases_set(actor=operator, offering=gpu_pool, phases=[(date(2030, 1, 1), 4, False, "")], reason="고장")

    with pytest.raises(filling.PlanChanged):
        filling.fill_by_priority_apply(actor=reviewer, call=call, confirmed=shown.digest)

    assert statuses(a, b) == ["submitted", "submitted"]


def test_a_missing_or_forged_plan_approves_nothing(reviewer, race):
    call, a, b = race

    for confirmed in ("", "0" * 64):
        with pytest.raises(filling.PlanChanged):
            filling.fill_by_priority_apply(actor=reviewer, call=call, confirmed=confirmed)

    assert statuses(a, b) == ["submitted", "submitted"]


def test_the_workbench_refuses_a_stale_confirmation_and_shows_the_new_plan(client, reviewer, race):
    call, a, b = race
    client.force_login(reviewer)
    preview = client.get(fill_url(call))
    assert [application.pk for application in preview.context["approve"]] == [a.pk]
    digest = preview.context["plan_digest"]
    assert f'name="plan" value="{digest}"' in preview.content.decode()
    Application.objects.filter(pk=b.pk).update(priority_score=70)

    response = client.post(fill_url(call), {"plan": digest})

    assert response.status_code == 200  # the preview again, with the new plan
    assert [application.pk for application in response.context["approve"]] == [b.pk]
    assert response.context["plan_digest"] != digest
    assert [level for level in (message.level for message in get_messages(response.wsgi_request))] == [ERROR]
    assert statuses(a, b) == ["submitted", "submitted"]
    assert not ApplicationTransition.objects.exists()

    confirmed = client.post(fill_url(call), {"plan": response.context["plan_digest"]})

    assert confirmed.status_code == 302
    assert statuses(a, b) == ["submitted", "approved"]
