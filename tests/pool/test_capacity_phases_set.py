"""An offering's capacity phases, replaced as a whole by an operator, with who changed what."""

from datetime import date

import pytest
from django.urls import reverse

from pool.models import CapacityChange
from pool.services import capacity_phases_set

pytestmark = pytest.mark.django_db

PHASES = [(date(2030, 1, 1), 10, False, ""), (date(2032, 1, 1), 40, True, "modelled expansion")]


def test_a_change_records_who_made_it_and_the_phases_before_and_after(gpu_pool, operator):
    assert capacity_phases_set(actor=operator, offering=gpu_pool, phases=PHASES, reason="2032 expansion") is True

    [change] = CapacityChange.objects.filter(offering=gpu_pool)
    assert change.actor == operator
    assert change.before == "2030-01-01: 10"
    assert change.after == "2030-01-01: 10\n2032-01-01: 40"
    assert change.reason == "2032 expansion"


def test_the_same_phases_again_change_nothing_and_record_nothing(gpu_pool, operator):
    capacity_phases_set(actor=operator, offering=gpu_pool, phases=PHASES)

    assert capacity_phases_set(actor=operator, offering=gpu_pool, phases=PHASES) is False
    assert CapacityChange.objects.filter(offering=gpu_pool).count() == 1


def test_the_offerings_page_shows_its_capacity_history(client, gpu_pool, operator):
    capacity_phases_set(actor=operator, offering=gpu_pool, phases=PHASES)
    client.force_login(operator)

    page = client.get(reverse("admin:pool_offering_change", args=[gpu_pool.pk]))

    assert page.status_code == 200
    assert "2032-01-01: 40" in page.content.decode()
    assert operator.email in page.content.decode()
