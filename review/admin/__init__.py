"""The reviewer's workbench in Django's admin, one module per page family (as Django's own
contrib admins are split): the application queue and its decision page, calls and filling
them by priority, the queue of change requests, the reclaim queue; ``queue`` holds what the
queues share."""

from review.admin import applications, calls, change_requests, reclaim  # noqa: F401 (registers the admins)
