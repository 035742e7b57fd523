"""Extensions and new grants racing for the same days: the ledger's CHECK decides, whatever the
order in which real threads (own connections, PostgreSQL in CI) reach it."""

from datetime import date
from functools import partial

import pytest
from django.db import connection, transaction  # noqa: F401 (the skip condition reads connection)

from aftercare import services
from allocations import ledger
from allocations.models import Allocation
from allocations.services import decisions
from applications.models import Application, Membership
from pool import capacity
from pool.capacity import DoesNotFit
from pool.models import CapacityLedger
from tests.aftercare.conftest import grant
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, make_pool, submitted_application
from tests.allocations.test_capacity_guarantee import assert_none_raised, run_together
from tests.allocations.test_lock_order import ROUNDS, assert_no_round_failed, errors, run_meeting_at
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

APRIL = (date(2031, 4, 1), date(2031, 4, 30))


def test_two_extensions_and_a_new_grant_never_over_commit_april():
    gpu = make_pool(10)
    requests = []
    for number in range(2):
        application, [allocation] = grant(make_call(gpu), (gpu, 4))
        member = make_user(f"member{number}@example.kr")
        Membership.objects.create(organization=application.organization, user=member)
        requests.append(
            services.change_request_submit(
                actor=member, allocation=allocation, kind="extension", ends_on=APRIL[1], justification="더 필요"
            )
        )
    newcomer = submitted_application(make_call(gpu), (gpu, 6, *APRIL))

    def extend(request):
        try:
            services.change_request_approve(actor=None, change_request=request)
        except DoesNotFit:
            return "refused"
        return "extended"

    def approve():
        try:
            decisions.application_approve(actor=None, application=newcomer)
        except DoesNotFit:
            return "refused"
        return "approved"

    outcomes = run_together([lambda: extend(requests[0]), lambda: extend(requests[1]), approve])

    assert_none_raised(outcomes)
    # Any two fit (4 + 4, 4 + 6), all three do not (14 > 10): whatever the order, one is refused.
    assert outcomes.count("refused") == 1
    assert ledger.ledger_drift() == []
    april = CapacityLedger.objects.filter(offering=gpu, day__range=APRIL)
    assert max(april.values_list("reserved", flat=True)) <= 10
    extended = Allocation.objects.filter(offering=gpu, ends_on=APRIL[1], application_item__quantity=4).count()
    assert extended == outcomes[:2].count("extended")
    assert Allocation.objects.filter(offering=gpu, ends_on=SERVICE_END).count() == 2 - extended


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="SQLite serialises writers: two transactions never hold locks at once, so there is no lock order",
)
def test_an_extension_and_a_new_grant_to_the_same_organisation_wait_for_each_other():
    # The grant's foreign-key checks at its commit share-lock the organisation's row: a change
    # approval that locked it for update while waiting for the grant's ledger rows deadlocked.
    failures = []
    for round_number in range(ROUNDS):
        gpu = make_pool(10, name=f"A100 GPU one organisation {round_number}")
        application, [allocation] = grant(make_call(gpu), (gpu, 4))
        member = make_user(f"member{round_number}@example.kr")
        Membership.objects.create(organization=application.organization, user=member)
        request = services.change_request_submit(
            actor=member, allocation=allocation, kind="extension", ends_on=APRIL[1], justification="더 필요"
        )
        # The same organisation's application to another call, for days the extension also needs.
        second = submitted_application(make_call(gpu), (gpu, 4, date(2031, 2, 1), APRIL[1]))
        Application.objects.filter(pk=second.pk).update(organization=application.organization)
        with transaction.atomic():
            capacity.lock_ledger([(gpu.pk, SERVICE_START, APRIL[1])])  # April's rows exist: no offering lock

        # Held: the first day of the extension's period, which the grant does not need: the grant
        # goes on to its commit while the extension waits there, holding what it locked before.
        outcomes = run_meeting_at(
            gpu,
            allocation.starts_on,
            partial(services.change_request_approve, actor=None, change_request=request),
            partial(decisions.application_approve, actor=None, application=second),
        )

        if errors(outcomes):
            failures.append(f"round {round_number}: {errors(outcomes)}")
            continue
        assert Allocation.objects.get(pk=allocation.pk).ends_on == APRIL[1]
        assert Application.objects.get(pk=second.pk).status == Application.Status.APPROVED
        assert ledger.ledger_drift([gpu.pk]) == []
    assert_no_round_failed(failures)
