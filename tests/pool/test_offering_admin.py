"""The offering's admin page when the phases pass the form's check but the service refuses them
at the write (a grant committed in between; ``test_phase_edit_race.py`` races it for real on
PostgreSQL): one message, nothing of the save kept, never a 500."""

import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.urls import reverse

from allocations.services import decisions
from pool import admin as pool_admin
from pool import services
from pool.models import CapacityChange
from tests.allocations.conftest import make_call, make_pool, submitted_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_form_check(monkeypatch):
    """The form's check as it reads when the grant has not committed yet: nothing conflicts."""
    monkeypatch.setattr(pool_admin.CapacityPhaseFormSet, "clean", forms.BaseInlineFormSet.clean)


def lowering_form(pool, units: int) -> dict[str, str]:
    phase = pool.phases.get()
    return {
        "name": "Renamed in the same save",
        "kind": pool.kind,
        "unit": pool.unit,
        "description": "",
        "unit_tflops": "19.5",
        "metering": "reserved",
        "phases-TOTAL_FORMS": "2",
        "phases-INITIAL_FORMS": "1",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
        "phases-0-id": str(phase.pk),
        "phases-0-offering": str(pool.pk),
        "phases-0-starts_on": "2030-01-01",
        "phases-0-units": "10",
        "phases-1-offering": str(pool.pk),
        "phases-1-starts_on": "2031-03-01",
        "phases-1-units": str(units),
    }


def shown(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def test_phases_refused_at_the_write_give_one_message_and_keep_nothing(client, operator, reviewer, stale_form_check):
    pool = make_pool(10)
    decisions.application_approve(actor=reviewer, application=submitted_application(make_call(pool), (pool, 8)))
    client.force_login(operator)
    url = reverse("admin:pool_offering_change", args=[pool.pk])

    response = client.post(url, lowering_form(pool, 4))

    assert response.status_code == 302
    assert response["Location"] == url
    [(level, text)] = shown(response)  # not "changed successfully" beside it
    assert level == messages.ERROR
    assert "2031년 3월 1일(토)" in text
    pool.refresh_from_db()
    assert pool.name == "A100 GPU"  # the whole save rolled back, not only the phases
    assert list(pool.phases.values_list("units", flat=True)) == [10]
    assert not CapacityChange.objects.filter(offering=pool).exists()


def test_a_refusal_by_the_ledgers_check_is_one_message_not_a_server_error(
    client, operator, stale_form_check, monkeypatch
):
    pool = make_pool(10)

    def refused_by_the_check(**kwargs):
        raise IntegrityError('new row violates check constraint "capacity_ledger_not_overcommitted"')

    monkeypatch.setattr(services, "capacity_phases_set", refused_by_the_check)
    client.force_login(operator)

    response = client.post(reverse("admin:pool_offering_change", args=[pool.pk]), lowering_form(pool, 12))

    assert response.status_code == 302
    assert [level for level, _text in shown(response)] == [messages.ERROR]
    pool.refresh_from_db()
    assert pool.name == "A100 GPU"
