"""The reviewer's workbench in Django's admin, one module per page family (as Django's own
contrib admins are split): the application queue and its decision page, calls and filling
them by priority, the queue of change requests, the merit evaluation (stages, assignment, the
panel sheet); ``queue`` holds what both queues share."""

from review.admin import applications, calls, change_requests, evaluation  # noqa: F401 (registers the admins)
