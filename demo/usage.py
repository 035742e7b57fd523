"""The demo's usage history: what the allocations in service have used, day by day, as the
modelled cloud reports it, collected through the portal's own collection service.

Each of the last ``HISTORY_DAYS`` days up to yesterday (from the first day of the allocations
active now, if later) is collected by
``metering.services.usage_collect`` with the modelled source, which gives each allocation a
profile of its own (busy, bursty, ramping up, idle: ``metering.sources.modelled``), as the beat
collects each night. Each day's collection is told at the night after the day
(``demo.timeline``), so its records say when they were collected. Once the history is there, the
large call in service gets its reclaim policy and its idle allocations are marked as reclaim
candidates, as the beat would today (``reclaim.services.reclaim_demo_candidates``).

Idempotent: a day the modelled source has already collected is left as it is.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from allocations.models import Allocation, AllocationState
from applications.models import Call
from demo.calls import CURRENT_CALL_TITLE, at
from demo.timeline import Timeline
from metering.models import UsageRecord, UsageSource
from metering.services import usage_collect
from metering.sources import Source, source_class
from reclaim.models import ReclaimCase
from reclaim.services import reclaim_demo_candidates

# The collection runs at night, after the day has ended.
COLLECTED_AT_HOUR = 2
# Three months of history: the reclaim policy's windows (30 days of use after the first 30) and
# the dashboard's recent weeks, at about a tenth of a second per day collected on SQLite.
HISTORY_DAYS = 90


@dataclass(frozen=True)
class UsageHistory:
    days: int  # days collected by this run
    records: int  # records they wrote
    reclaim_candidates: int  # the large call in service's open reclaim cases


def seed_usage(*, timeline: Timeline, now: datetime, today: date) -> UsageHistory:
    """Collect each of the last ``HISTORY_DAYS`` days of the active allocations' service up to
    yesterday that the modelled source has not collected yet, each at the night after it; then
    backdate."""
    started = (
        Allocation.objects.filter(state=AllocationState.ACTIVE)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
        .first()
    )
    last = today - timedelta(days=1)
    if started is None or started > last:
        return UsageHistory(0, 0, 0)
    first = max(started, today - timedelta(days=HISTORY_DAYS))
    collected = set(
        UsageRecord.objects.filter(source=UsageSource.MODELLED, day__range=(first, last))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    # The modelled cloud's figures whatever USAGE_SOURCE says: the demo's allocations are its own.
    source: Source = source_class(UsageSource.MODELLED)()
    days = records = 0
    day = first
    while day <= last:
        if day not in collected:
            # The night after the day; yesterday's collection may be later tonight: then now.
            with timeline.at(min(at(day + timedelta(days=1), COLLECTED_AT_HOUR), now)):
                records += usage_collect(day=day, source=source, today=today)
            days += 1
        day += timedelta(days=1)
    timeline.backdate()
    return UsageHistory(days, records, _reclaim_candidates())


def _reclaim_candidates() -> int:
    """The large call in service gets the default reclaim policy, and its idle allocations become
    candidates as the beat's daily job would mark them now (each organisation warned once)."""
    call = Call.objects.filter(title=CURRENT_CALL_TITLE).first()
    if call is None:
        return 0
    reclaim_demo_candidates(call=call)
    return ReclaimCase.objects.filter(call=call, state=ReclaimCase.State.CANDIDATE).count()
