"""The access table's rows for the staff's API endpoints (/api/v1/staff/): see access_table.py
(which imports this module at its end, after the words below are defined).

Every staff endpoint answers an anonymous caller 401, a caller without the staff scope (an
applicant, an evaluator) 403 before anything else, and then asks the staff role's own permission
as the admin does: reviewers decide, operators report provisioning. Staff reading an
application's full record is recorded in the personal-data access log (LOGGED).
"""

from tests.security.access_table import DENIED, DONE, LOGGED, NO_METHOD, OK, UNAUTHENTICATED, Entry


def decision_data(world) -> dict:
    return {"decision": "approve"}


def provisioning_report_data(world) -> dict:
    return {"outcome": "provisioned", "expected_state": "pending", "external_ref": "openstack/project/1"}


PERIOD = "?starts_on=2031-01-01&ends_on=2031-01-31"

# fmt: off
#                 anonymous        owner        member       outsider     reviewer     operator     superuser
STAFF_READ =     (UNAUTHENTICATED, DENIED,      DENIED,      DENIED,      OK,          OK,          OK)
STAFF_LOGGED =   (UNAUTHENTICATED, DENIED,      DENIED,      DENIED,      LOGGED,      LOGGED,      LOGGED)
STAFF_NO_METHOD = (UNAUTHENTICATED, DENIED,     DENIED,      DENIED,      NO_METHOD,   NO_METHOD,   NO_METHOD)
REVIEWERS_DECIDE = (UNAUTHENTICATED, DENIED,    DENIED,      DENIED,      DONE,        DENIED,      DONE)
OPERATORS_REPORT = (UNAUTHENTICATED, DENIED,    DENIED,      DENIED,      DENIED,      DONE,        DONE)
OPERATORS_NO_METHOD = (UNAUTHENTICATED, DENIED,  DENIED,      DENIED,      DENIED,      NO_METHOD,   NO_METHOD)

API_STAFF_ACCESS: dict[str, Entry] = {
    "api_staff_call_queue": Entry("/api/v1/staff/calls/{call.pk}/queue/", get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_call_stages": Entry("/api/v1/staff/calls/{evaluated_call.pk}/stages/",
        get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_application": Entry("/api/v1/staff/applications/{submitted.pk}/",
        get=STAFF_LOGGED, post=STAFF_NO_METHOD),
    "api_staff_application_decision": Entry("/api/v1/staff/applications/{submitted.pk}/decision/",
        data=decision_data, get=STAFF_NO_METHOD, post=REVIEWERS_DECIDE),
    "api_staff_application_stage_results": Entry("/api/v1/staff/applications/{evaluated.pk}/stage-results/",
        get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_offering_list": Entry("/api/v1/staff/offerings/", get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_offering_capacity": Entry("/api/v1/staff/offerings/{offering.pk}/capacity/" + PERIOD,
        get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_offering_usage": Entry("/api/v1/staff/offerings/{offering.pk}/usage/" + PERIOD,
        get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_allocation_changes": Entry("/api/v1/staff/allocations/changes/", get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_allocation": Entry("/api/v1/staff/allocations/{allocation.pk}/", get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_allocation_usage": Entry("/api/v1/staff/allocations/{award.pk}/usage/",
        get=STAFF_READ, post=STAFF_NO_METHOD),
    "api_staff_allocation_provisioning_report": Entry(
        "/api/v1/staff/allocations/{allocation.pk}/provisioning-report/",
        data=provisioning_report_data, get=OPERATORS_NO_METHOD, post=OPERATORS_REPORT),
}
# fmt: on
