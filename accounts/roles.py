"""The operator's staff roles, as Django groups created by a data migration.

Reviewers decide applications in the admin; Operators manage calls, offerings, capacity and
watch the dashboards. Neither needs to be a superuser.
"""

REVIEWERS = "Reviewers"
OPERATORS = "Operators"
STAFF_GROUPS = (REVIEWERS, OPERATORS)
