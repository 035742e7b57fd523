"""The dashboard's figures for one call and period, each computed on first use.

The page caches its rendered sections under a key that includes ``portal.data_version.current()``
(read by the view before any figure is computed), so a cached page never asks for its figures
again, and every change to what it shows (a decision, a provisioning step, a release, a capacity
or policy edit, an organisation's details, a survey answer) moves the version after its commit
and gives the next request fresh figures at once, whatever order concurrent changes commit in.
"""

from datetime import date
from decimal import Decimal
from functools import cached_property

from aftercare.selectors import SurveySummary, survey_summary
from applications.models import Application, Call
from dashboard.charts import BarChart, CapacityChart, bar_chart, capacity_chart
from dashboard.selectors.breakdowns import Breakdown, call_breakdowns
from dashboard.selectors.calls import Demand, Funnel, call_demand, call_funnel, waitlist
from dashboard.selectors.capacity import (
    Expiring,
    OfferingCapacity,
    PoolTotals,
    capacity_overview,
    expiring_list,
    phases_by_offering,
    pool_totals,
)
from dashboard.selectors.public import CallFigures, listed_selections, public_call_figures
from dashboard.selectors.usage import (
    Idle,
    OfferingUsage,
    UsageBreakdown,
    idle_list,
    recent_period,
    recent_usage_rates,
    usage_breakdowns,
    used_series,
)

# The longest list a page shows (the wait-list, what ends soon, the named selections); one more
# row is fetched to tell that there are more. The CSV files have them all.
LIST_LIMIT = 200


class DashboardFigures:
    def __init__(self, call: Call | None, start: date, end: date, today: date):
        self.call, self.start, self.end, self.today = call, start, end, today

    @cached_property
    def phases(self):
        return phases_by_offering()

    @cached_property
    def capacity(self) -> list[tuple[OfferingCapacity, CapacityChart]]:
        overview = capacity_overview(self.start, self.end, self.today, self.phases)
        used = used_series([row.offering for row in overview], self.start, self.end)
        charts = []
        for row in overview:
            row.used = used.get(row.offering.pk)
            values = row.used.values if row.used is not None else None
            charts.append((row, capacity_chart(row.runs, self.start, self.end, self.today, values)))
        return charts

    @cached_property
    def totals(self) -> PoolTotals:
        return pool_totals([row for row, _chart in self.capacity])

    @cached_property
    def demand(self) -> list[Demand]:
        if self.call is None:
            return []
        return call_demand(self.call, [row.offering for row, _chart in self.capacity], self.phases)

    @cached_property
    def funnel(self) -> Funnel | None:
        return call_funnel(self.call) if self.call is not None else None

    @cached_property
    def funnel_chart(self) -> BarChart | None:
        if self.funnel is None:
            return None
        return bar_chart([(label, value, None) for _key, label, value in self.funnel.stages])

    @cached_property
    def breakdowns(self) -> list[tuple[Breakdown, BarChart]]:
        return [
            (breakdown, bar_chart([(row.label, row.applications, row.approved) for row in breakdown.rows]))
            for breakdown in call_breakdowns(self.call)
        ]

    @cached_property
    def expiring(self) -> list[Expiring]:
        return expiring_list(self.today, LIST_LIMIT + 1)

    @cached_property
    def surveys(self) -> SurveySummary:
        return survey_summary(self.call)

    @cached_property
    def waitlist(self) -> list[Application]:
        if self.call is None:
            return []
        return list(waitlist(self.call)[: LIST_LIMIT + 1])


class UsageFigures:
    """The operator's usage page: each offering's usage rate over the last days, the idle list,
    usage rates by call, industry and region (each computed on first use, as DashboardFigures)."""

    def __init__(self, call: Call | None, today: date):
        self.call, self.today = call, today

    @cached_property
    def offerings(self) -> list[OfferingUsage]:
        return recent_usage_rates(self.today)

    @cached_property
    def idle(self) -> list[Idle]:
        return idle_list(LIST_LIMIT + 1)

    @cached_property
    def breakdowns(self) -> list[UsageBreakdown]:
        return usage_breakdowns(self.call)


class PublicFigures:
    """The public statistics, each computed on first use (see DashboardFigures)."""

    def __init__(self, today: date):
        self.today = today

    @cached_property
    def overview(self) -> list[OfferingCapacity]:
        # Today's figures, and the runs of the last days that the usage rates weigh.
        return capacity_overview(*recent_period(self.today), self.today)

    @cached_property
    def offerings(self) -> list[tuple[OfferingCapacity, Decimal | None]]:
        """Each offering today, with its usage rate over the last days (``recent_usage_rates``)."""
        rates = {usage.offering.pk: usage.rate for usage in recent_usage_rates(self.today, self.overview)}
        return [(row, rates.get(row.offering.pk)) for row in self.overview]

    @cached_property
    def totals(self) -> PoolTotals:
        return pool_totals(self.overview)

    @cached_property
    def calls(self) -> list[CallFigures]:
        return public_call_figures()

    @cached_property
    def breakdowns(self) -> list[tuple[Breakdown, BarChart]]:
        by_dimension = {breakdown.dimension: breakdown for breakdown in call_breakdowns(None)}
        return [
            (
                by_dimension[name],
                bar_chart([(row.label, row.applications, row.approved) for row in by_dimension[name].rows]),
            )
            for name in ("region", "industry")
        ]

    @cached_property
    def selections(self) -> list[Application]:
        return list(listed_selections()[: LIST_LIMIT + 1])
