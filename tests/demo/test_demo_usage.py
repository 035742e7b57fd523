"""The demo's usage history (demo/usage.py): the modelled cloud's figures for the allocations in
service, collected night by night through the portal's collection service."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from allocations.models import Allocation
from dashboard.selectors.usage import idle_list
from demo.accounts import APPLICANT, demo_user
from demo.usage import COLLECTED_AT_HOUR, HISTORY_DAYS
from metering.models import AllocationUsage, UsageRecord, UsageSource
from metering.services import allocations_in_service


def test_every_allocation_in_service_yesterday_has_its_record(seeded):
    yesterday = timezone.localdate() - timedelta(days=1)

    in_service = set(allocations_in_service(yesterday).values_list("pk", flat=True))
    recorded = set(UsageRecord.objects.filter(day=yesterday).values_list("allocation_id", flat=True))

    assert in_service and recorded == in_service


def test_the_history_covers_the_last_months_and_each_day_was_collected_the_night_after(seeded):
    today = timezone.localdate()
    days = sorted(set(UsageRecord.objects.filter(source=UsageSource.MODELLED).values_list("day", flat=True)))

    assert days[-1] == today - timedelta(days=1)
    assert len(days) == (days[-1] - days[0]).days + 1 <= HISTORY_DAYS
    for record in UsageRecord.objects.filter(day__in=[days[0], days[len(days) // 2]]).order_by("pk")[:20]:
        collected = timezone.localtime(record.collected_at)
        assert collected.date() == record.day + timedelta(days=1) and collected.hour == COLLECTED_AT_HOUR


def test_the_profiles_give_the_dashboard_busy_and_idle_allocations(seeded):
    rates = [row.rate for row in idle_list() if row.rate is not None]

    assert max(rates) > 70 and min(rates) < 10
    assert AllocationUsage.objects.filter(last_used_on__isnull=True).exists() or min(rates) < 5


def test_the_demo_applicant_sees_the_usage_of_its_award(seeded, client):
    applicant = demo_user(APPLICANT)
    allocation = (
        Allocation.objects.filter(organization__memberships__user=applicant, state=Allocation.State.ACTIVE)
        .order_by("pk")
        .first()
    )
    client.force_login(applicant)

    response = client.get(reverse("allocation_usage", args=[allocation.pk]))

    assert response.status_code == 200
    assert response.context["figures"].collected
    assert 'id="usage-chart"' in response.content.decode()


def test_the_large_call_in_service_has_a_few_reclaim_candidates(seeded):
    from applications.models import Call
    from demo.calls import CURRENT_CALL_TITLE
    from reclaim.models import ReclaimCase

    cases = ReclaimCase.objects.filter(call=Call.objects.get(title=CURRENT_CALL_TITLE))

    assert cases.filter(state=ReclaimCase.State.CANDIDATE).exists()
    idle = {row.allocation_id for row in idle_list()}
    assert set(cases.values_list("allocation_id", flat=True)) <= idle
