"""An operator saves an offering's capacity phases in the admin while a reviewer approves a grant
of the same offering: one of the two stands, and the operator reads one clear message.

The admin's form checks the phases against what is allocated before it saves (a friendly error
next to the phases); the service checks again on the locked ledger rows. When a grant commits
between the two, the service refuses: the admin then rolls the whole save back and says so once,
never a 500 and never "changed successfully" beside the refusal.

The two run in threads with their own connections on PostgreSQL; this test's connection holds a
ledger row of the period until the first is waiting inside its locking statement and the second
is waiting behind it, so the order in which they reach the ledger is the one each test names.
"""

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from allocations.models import Allocation
from allocations.services.decisions import application_approve
from applications.models import Application
from pool.capacity import DoesNotFit
from pool.models import CapacityChange, CapacityLedger, CapacityPhase, Offering
from portal import formats
from tests.allocations.conftest import make_call, submitted_application
from tests.allocations.test_lock_order import (
    FIRST,
    LAST,
    MEETING_TIMEOUT,
    MIDDLE,
    THREAD_TIMEOUT,
    assert_held_exactly,
    pool_with_ledger_in_reverse,
    waiting_for_a_lock,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="SQLite serialises writers: the two never hold ledger rows at once",
    ),
]

ORIGIN = date(2020, 1, 1)  # the pool's one phase (pool_with_ledger_in_reverse)
LOWERED_FROM = FIRST + timedelta(days=100)


def one_after_the_other(offering: Offering, first: Callable, second: Callable) -> list:
    """Run ``first`` in a thread until it waits for the ledger row of ``MIDDLE`` (held here),
    then ``second`` until it waits too (behind ``first``), then let go; what each returned or
    raised."""
    backends: list[int | None] = [None, None]
    outcomes: list = [None, None]

    def run(index: int, job: Callable) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends[index] = cursor.fetchone()[0]
            outcomes[index] = job()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job), daemon=True) for n, job in enumerate((first, second))]
    with transaction.atomic():
        held = CapacityLedger.objects.filter(offering=offering, day=MIDDLE).order_by()
        list(held.select_for_update().values_list("pk"))
        for index, thread in enumerate(threads):
            thread.start()
            deadline = time.monotonic() + MEETING_TIMEOUT
            while backends[index] not in waiting_for_a_lock(backends):
                assert thread.is_alive(), f"finished without waiting for the ledger: {outcomes}"
                assert time.monotonic() < deadline, f"not waiting for a lock within {MEETING_TIMEOUT} s: {outcomes}"
                time.sleep(0.005)
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), f"still running after {THREAD_TIMEOUT} s"
    return outcomes


def grant(reviewer, application: Application) -> str:
    try:
        application_approve(actor=reviewer, application=application)
    except DoesNotFit:
        return "does not fit"
    return "approved"


def save_phases_in_the_admin(client: Client, offering: Offering) -> tuple[int, list[tuple[int, str]]]:
    """The operator lowers the pool to 60 from the 100th day of the period, keeping the rest."""
    phase = offering.phases.get()
    form = {
        "name": offering.name,
        "kind": offering.kind,
        "unit": offering.unit,
        "description": "",
        "unit_tflops": "19.5",
        "metering": "reserved",
        "phases-TOTAL_FORMS": "2",
        "phases-INITIAL_FORMS": "1",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
        "phases-0-id": str(phase.pk),
        "phases-0-offering": str(offering.pk),
        "phases-0-starts_on": ORIGIN.isoformat(),
        "phases-0-units": "100",
        "phases-1-offering": str(offering.pk),
        "phases-1-starts_on": LOWERED_FROM.isoformat(),
        "phases-1-units": "60",
        "phases-1-is_modelled": "on",
    }
    response = client.post(reverse("admin:pool_offering_change", args=[offering.pk]), form)
    return response.status_code, [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def race(reviewer, operator):
    pool = pool_with_ledger_in_reverse(100, name="A100 GPU (phase edit race)")
    newcomer = submitted_application(make_call(pool), (pool, 70, FIRST, LAST))
    client = Client()
    client.force_login(operator)
    return pool, newcomer, lambda: grant(reviewer, newcomer), lambda: save_phases_in_the_admin(client, pool)


def test_a_grant_that_commits_after_the_forms_check_leaves_one_refusal_and_nothing_changed(race):
    pool, newcomer, approve, edit = race

    approval, (status, shown) = one_after_the_other(pool, approve, edit)

    assert approval == "approved"
    assert status == 302  # not a 500: back to the offering's page
    [(level, text)] = shown  # the refusal alone, not "changed successfully" beside it
    assert level == messages.ERROR
    with translation.override("ko"):  # the first day the new capacity would not hold, as the admin says it
        assert formats.day(LOWERED_FROM) in text
    assert list(CapacityPhase.objects.filter(offering=pool).values_list("starts_on", "units")) == [(ORIGIN, 100)]
    assert not CapacityChange.objects.filter(offering=pool).exists()
    assert Allocation.objects.filter(application_item__application=newcomer).count() == 1
    assert_held_exactly(pool)


def test_a_phase_edit_that_locks_first_stands_and_the_grant_does_not_fit(race):
    pool, newcomer, approve, edit = race

    (status, shown), approval = one_after_the_other(pool, edit, approve)

    assert approval == "does not fit"
    assert status == 302
    assert [level for level, _text in shown] == [messages.SUCCESS]
    assert list(CapacityPhase.objects.filter(offering=pool).values_list("starts_on", "units")) == [
        (ORIGIN, 100),
        (LOWERED_FROM, 60),
    ]
    newcomer.refresh_from_db()
    assert newcomer.status == Application.Status.SUBMITTED
    assert_held_exactly(pool)
