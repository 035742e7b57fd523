"""Two reviewers decide the same reclaim case at once (real threads, own connections; PostgreSQL
in CI): the case's row lock lets one decide, the other is refused with the state it found, and
the ledger holds exactly what the winner left."""

import pytest
from django.core.management import call_command

from accounts.roles import REVIEWERS
from allocations.models import Allocation
from reclaim import services
from reclaim.models import ReclaimCase
from tests.allocations.test_capacity_guarantee import run_together
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_reviewers_deciding_one_case_at_once_one_wins_the_other_is_refused(case, reviewer):
    colleague = make_user("reviewer2@operator.kr", is_staff=True, group=REVIEWERS)

    def decide(job):
        try:
            job()
        except services.ReclaimError as error:
            return str(error)
        return "decided"

    outcomes = run_together(
        [
            lambda: decide(lambda: services.reclaim_case_reduce(actor=reviewer, case=case, units=3, reason="감축")),
            lambda: decide(lambda: services.reclaim_case_end(actor=colleague, case=case, reason="종료")),
        ]
    )

    assert sorted(outcome == "decided" for outcome in outcomes) == [False, True], outcomes
    [refusal] = [outcome for outcome in outcomes if outcome != "decided"]
    assert refusal.startswith("이미 결정된 건입니다")  # each thread speaks the default language, Korean
    case.refresh_from_db()
    allocation = Allocation.objects.get(pk=case.allocation_id)
    if case.state == ReclaimCase.State.REDUCED:
        assert (allocation.state, allocation.quantity, case.reclaimed_units) == (Allocation.State.ACTIVE, 3, 5)
    else:
        assert case.state == ReclaimCase.State.ENDED
        assert (allocation.state, allocation.quantity, case.reclaimed_units) == (Allocation.State.REVOKED, 8, 8)
    assert case.transitions.count() == 2  # found, then the one decision
    call_command("check_capacity")
