"""Extensions and new grants racing for the same days: the ledger's CHECK decides, whatever the
order in which real threads (own connections, PostgreSQL in CI) reach it."""

from datetime import date

import pytest

from aftercare import services
from allocations import ledger
from allocations.models import Allocation
from allocations.services import decisions
from applications.models import Membership
from pool.capacity import DoesNotFit
from pool.models import CapacityLedger
from tests.aftercare.conftest import grant
from tests.allocations.conftest import SERVICE_END, make_call, make_pool, submitted_application
from tests.allocations.test_capacity_guarantee import assert_none_raised, run_together
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
