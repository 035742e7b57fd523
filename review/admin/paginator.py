"""The queue's page count without counting a whole call.

Django's changelist counts its rows with ``COUNT(*)`` on every page: at 100,000 applications an
index-only scan of all of them, the one part of the default page that still grew with the
call. This paginator counts exactly up to ``EXACT_UP_TO`` rows (``COUNT(*)`` over a ``LIMIT``,
a bounded scan), which is every filtered queue a reviewer works through; past that, on
PostgreSQL, it takes the planner's estimate of the rows (``EXPLAIN``, no scan) and says so: the
page shows "about N". SQLite (the laptop) always counts.
"""

import json
from functools import cached_property
from typing import cast

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet

EXACT_UP_TO = 10_000


class QueuePaginator(Paginator):
    estimated = False

    @cached_property
    def count(self) -> int:
        rows = cast(QuerySet, self.object_list).values("pk").order_by()
        counted = rows[: EXACT_UP_TO + 1].count()
        if counted <= EXACT_UP_TO or connections[rows.db].vendor != "postgresql":
            return counted if counted <= EXACT_UP_TO else rows.count()
        sql, params = rows.query.sql_with_params()
        with connections[rows.db].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            result = cursor.fetchone()[0]
        plan = (json.loads(result) if isinstance(result, str) else result)[0]["Plan"]
        self.estimated = True
        return max(int(plan["Plan Rows"]), counted)
