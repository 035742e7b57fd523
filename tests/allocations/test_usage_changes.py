"""The dashboard's daily usage changes (``UsageChange``), kept by the allocation table's triggers,
equal a recomputation from the allocations after every kind of change (on PostgreSQL and SQLite:
run the module on both)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from allocations import tasks
from allocations.models import Allocation, UsageChange
from allocations.services import changes, decisions, provisioning, release
from allocations.usage import usage_changes_recomputed, usage_drift
from pool.capacity import lock_ledger
from pool.services import capacity_phases_set
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")
AFTER_END = SERVICE_END + timedelta(days=1)


def kept() -> dict[tuple[int, date], tuple[int, int]]:
    """The kept changes, without the days on which nothing changes any more."""
    return {
        (row.offering_id, row.day): (row.in_service, row.being_provisioned)
        for row in UsageChange.objects.all()
        if (row.in_service, row.being_provisioned) != (0, 0)
    }


def assert_kept_equals_recomputed() -> dict[tuple[int, date], tuple[int, int]]:
    assert usage_drift() == []
    assert kept() == usage_changes_recomputed()
    return kept()


@pytest.fixture
def approved(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 4))
    (allocation,) = decisions.application_approve(actor=reviewer, application=application)
    return allocation


def test_an_approval_counts_its_units_as_being_provisioned_from_the_first_day_to_the_last(approved, gpu_pool):
    assert assert_kept_equals_recomputed() == {
        (gpu_pool.pk, SERVICE_START): (0, 4),
        (gpu_pool.pk, AFTER_END): (0, -4),
    }


def test_provisioning_moves_the_units_into_service_on_the_same_two_days(approved, gpu_pool):
    provisioning.allocation_provision(allocation_id=approved.pk)

    assert UsageChange.objects.count() == 2  # an activation moves two rows, not every day
    assert assert_kept_equals_recomputed() == {
        (gpu_pool.pk, SERVICE_START): (4, 0),
        (gpu_pool.pk, AFTER_END): (-4, 0),
    }


def test_a_batch_approved_and_provisioned_together_is_counted_once_per_allocation(reviewer, gpu_pool, storage_pool):
    call = make_call(gpu_pool, storage_pool)
    early = SERVICE_START + timedelta(days=10)
    applications = [
        submitted_application(call, (gpu_pool, 2), (storage_pool, 30)),
        submitted_application(call, (gpu_pool, 1, early, SERVICE_END)),
        submitted_application(call, (storage_pool, 5)),
    ]
    allocations = decisions.applications_approve(actor=reviewer, applications=applications).allocations
    assert_kept_equals_recomputed()

    provisioning.allocations_provision(allocation_ids=[allocation.pk for allocation in allocations])

    assert assert_kept_equals_recomputed() == {
        (gpu_pool.pk, SERVICE_START): (2, 0),
        (gpu_pool.pk, early): (1, 0),
        (gpu_pool.pk, AFTER_END): (-3, 0),
        (storage_pool.pk, SERVICE_START): (35, 0),
        (storage_pool.pk, AFTER_END): (-35, 0),
    }


def test_an_expired_allocation_stays_in_service_over_its_whole_period(approved, gpu_pool):
    provisioning.allocation_provision(allocation_id=approved.pk)
    before = kept()
    with time_machine.travel(AFTER_END, tick=False):
        assert tasks.expire_allocations.apply().get() == 1

    approved.refresh_from_db()
    assert approved.state == Allocation.State.EXPIRED
    assert assert_kept_equals_recomputed() == before


def test_a_revoked_allocation_counts_until_the_day_before_its_revocation_in_seoul(approved, gpu_pool, operator):
    provisioning.allocation_provision(allocation_id=approved.pk)
    revoked_on = SERVICE_START + timedelta(days=20)
    # 00:30 in Seoul is the previous day in UTC: the day counts in Seoul.
    with time_machine.travel(datetime.combine(revoked_on, time(0, 30), tzinfo=SEOUL), tick=False):
        release.allocation_release(actor=operator, allocation=approved, to_state="revoked", reason="misuse")

    assert assert_kept_equals_recomputed() == {
        (gpu_pool.pk, SERVICE_START): (4, 0),
        (gpu_pool.pk, revoked_on): (-4, 0),
    }


def test_an_allocation_revoked_before_its_first_day_never_counts(approved, operator):
    with time_machine.travel(datetime.combine(SERVICE_START - timedelta(days=3), time(12), tzinfo=SEOUL)):
        release.allocation_release(actor=operator, allocation=approved, to_state="revoked", reason="withdrawn")

    assert assert_kept_equals_recomputed() == {}


def test_a_failed_allocation_never_counts(approved, faulty_cloud):
    faulty_cloud.always_fail = True
    provisioning.allocation_provision(allocation_id=approved.pk)

    approved.refresh_from_db()
    assert approved.state == Allocation.State.FAILED
    assert assert_kept_equals_recomputed() == {}


def test_an_extension_and_a_supplement_move_the_changes_with_the_allocation(approved, gpu_pool):
    provisioning.allocation_provision(allocation_id=approved.pk)
    later = SERVICE_END + timedelta(days=30)

    changes.allocation_change(actor=None, allocation=approved, ends_on=later, reason="Extension.")
    assert assert_kept_equals_recomputed() == {
        (gpu_pool.pk, SERVICE_START): (4, 0),
        (gpu_pool.pk, later + timedelta(days=1)): (-4, 0),
    }

    approved.refresh_from_db()
    changes.allocation_change(actor=None, allocation=approved, quantity=6, reason="Supplement.")
    assert assert_kept_equals_recomputed() == {
        (gpu_pool.pk, SERVICE_START): (6, 0),
        (gpu_pool.pk, later + timedelta(days=1)): (-6, 0),
    }


def test_a_capacity_phase_edit_leaves_the_changes_exact(approved, gpu_pool, operator):
    provisioning.allocation_provision(allocation_id=approved.pk)
    before = kept()

    capacity_phases_set(
        actor=operator,
        offering=gpu_pool,
        phases=[(date(2030, 1, 1), 10, False, ""), (SERVICE_START + timedelta(days=5), 20, False, "")],
    )

    assert assert_kept_equals_recomputed() == before


def test_statements_from_outside_the_engine_move_the_changes_too(reviewer, gpu_pool, storage_pool):
    """Raw SQL: one UPDATE of several allocations (state, quantity, period, time of revocation)
    and a DELETE, each followed in the same statement."""
    call = make_call(gpu_pool, storage_pool)
    applications = [submitted_application(call, (gpu_pool, 2), (storage_pool, 30)) for _ in range(2)]
    allocations = decisions.applications_approve(actor=reviewer, applications=applications).allocations
    ids = [allocation.pk for allocation in allocations]
    revoked_at = datetime.combine(SERVICE_START + timedelta(days=7), time(23, 50), tzinfo=SEOUL)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE allocations_allocation SET state = 'revoked', state_changed_at = %s WHERE id IN (%s, %s)",
            [revoked_at, ids[0], ids[1]],
        )
        assert_kept_equals_recomputed()
        cursor.execute(
            "UPDATE allocations_allocation SET state = 'active', quantity = quantity + 1, ends_on = %s WHERE id = %s",
            [SERVICE_END - timedelta(days=10), ids[2]],
        )
        assert_kept_equals_recomputed()
        cursor.execute(
            "UPDATE allocations_allocation SET state_changed_at = %s WHERE id IN (%s, %s)",
            [revoked_at + timedelta(days=3), ids[0], ids[3]],
        )
        assert_kept_equals_recomputed()

    lock_ledger([(gpu_pool.pk, SERVICE_START, SERVICE_END)])
    extra = Allocation.objects.create(
        organization=allocations[0].organization,
        application_item=submitted_application(call, (gpu_pool, 1)).items.get(),
        offering=gpu_pool,
        quantity=1,
        starts_on=SERVICE_START,
        ends_on=SERVICE_END,
        state=Allocation.State.ACTIVE,
    )
    assert_kept_equals_recomputed()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM allocations_allocation WHERE id = %s", [extra.pk])
    assert_kept_equals_recomputed()


def test_check_capacity_reports_a_drifted_usage_change_with_exit_status_1(approved, capsys):
    call_command("check_capacity")
    UsageChange.objects.filter(day=SERVICE_START).update(being_provisioned=3)

    with pytest.raises(CommandError) as failure:
        call_command("check_capacity")

    assert failure.value.returncode == 1
    assert "2031-01-01" in capsys.readouterr().err
    assert len(usage_drift()) == 1
    assert tasks.check_capacity.apply().get() == 1
