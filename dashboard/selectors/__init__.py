"""Reads of the operator's dashboard and the public statistics, one module per topic:

- ``capacity``: the pool per offering over a period (runs of days with capacity, units in
  service and being provisioned) and today (utilisation, totals in PF and PB); what ends soon.
- ``calls``: the chosen call: the calls to choose from, demand against free supply, the funnel,
  the wait-list.
- ``breakdowns``: who applied (priority claim, organisation type, industry, purpose, region)
  and who was approved, for one call or all.
- ``public``: the public statistics' own figures: calls with their submissions and selections,
  the selected organisations that consented to be named.

Every figure is aggregated by the database: each function costs a fixed number of queries
whatever the number of applications or allocations (the page's bound, at a handful of rows and
at thousands: ``test_the_dashboard_costs_a_bounded_number_of_queries`` in
tests/dashboard/test_dashboard_views.py). Rows are grouped in SQL and only the groups
(offerings, days where something starts or ends, categories) come back to Python; the days where
something starts or ends are not even grouped per request: the allocation table's triggers keep
them (``allocations.usage``, ``UsageChange``), so the charts' cost does not grow with the
allocations.
"""
