"""The access table's rows for the API (the applicant's endpoints, the schema and docs, the token
pages): see access_table.py (which imports this module at its end, after these words exist).

Every API endpoint answers an anonymous caller 401 (UNAUTHENTICATED), another organisation's
object 404 (HIDDEN), and a refusal with problem details. The matrix logs in with a session,
which holds every scope its user may hold (api.permissions).
"""

from datetime import timedelta

from tests.security.access_table import (
    DONE,
    EVERYONE,
    HIDDEN,
    INVALID,
    LOGGED_IN,
    LOGIN,
    NO_METHOD,
    OK,
    REFUSED,
    UNAUTHENTICATED,
    Entry,
    new_organization_data,
    report_data,
)


def new_token_data(world) -> dict:
    return {"name": "새 토큰", "scopes": ["read"], "lifetime": "30"}


def application_start_data(world) -> dict:
    return {"call": world.spare_call.pk, "organization": world.organization.pk}


def extension_data(world) -> dict:
    # The award already has a request awaiting a decision: its members are refused (409).
    return {
        "allocation": world.award.pk,
        "kind": "extension",
        "justification": "더 필요",
        "ends_on": (world.award.ends_on + timedelta(days=30)).isoformat(),
    }


# fmt: off
#                 anonymous        owner        member       outsider     reviewer     operator     superuser
API_READ =       (UNAUTHENTICATED, OK,          OK,          OK,          OK,          OK,          OK)
API_NO_METHOD =  (UNAUTHENTICATED, NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD)
# The objects of the owner's organisation: its members read them and act on them; anyone else,
# staff included (who read applications in the admin, not here), is told nothing exists.
API_MEMBERS =    (UNAUTHENTICATED, OK,          OK,          HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)
API_MEMBERS_DO = (UNAUTHENTICATED, DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)
API_ANYONE_404 = (HIDDEN,          HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)

API_ACCESS: dict[str, Entry] = {
    # ---- The schema, its readers, the problem types; unknown addresses under /api/ -------------------
    "api_schema": Entry("/api/schema/", get=EVERYONE,
        post=(NO_METHOD,) * 7),
    "api_docs": Entry("/api/docs/", get=EVERYONE, post=(NO_METHOD,) * 7),
    "api_redoc": Entry("/api/redoc/", get=EVERYONE, post=(NO_METHOD,) * 7),
    "api_problem_types": Entry("/api/problems/", get=EVERYONE, post=EVERYONE),
    "api_not_found": Entry("/api/v1/nothing-here/", get=API_ANYONE_404, post=API_ANYONE_404),
    # ---- Personal API tokens (profile pages) ----------------------------------------------------------
    "api_token_list": Entry("/accounts/api-tokens/", data=new_token_data,
        get=LOGGED_IN,
        post=(LOGIN,       DONE,        DONE,        DONE,        DONE,        DONE,        DONE)),
    "api_token_revoke": Entry("/accounts/api-tokens/{token.pk}/revoke/",
        get=(LOGIN,        NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD),
        post=(LOGIN,       DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # ---- Calls ------------------------------------------------------------------------------------------
    "api_call_list": Entry("/api/v1/calls/", get=API_READ, post=API_NO_METHOD),
    "api_call_detail": Entry("/api/v1/calls/{call.pk}/", get=API_READ, post=API_NO_METHOD),
    # ---- Organisations ----------------------------------------------------------------------------------
    "api_organization_list": Entry("/api/v1/organizations/", data=new_organization_data,
        get=API_READ,
        post=(UNAUTHENTICATED, DONE,       DONE,        DONE,        DONE,        DONE,        DONE)),
    "api_organization_detail": Entry("/api/v1/organizations/{organization.pk}/", get=API_MEMBERS, post=API_NO_METHOD),
    # ---- Applications -----------------------------------------------------------------------------------
    "api_application_list": Entry("/api/v1/applications/", data=application_start_data,
        get=API_READ,
        post=(UNAUTHENTICATED, DONE,       DONE,        INVALID,     INVALID,     INVALID,     INVALID)),
    "api_application_detail": Entry("/api/v1/applications/{draft.pk}/", get=API_MEMBERS, post=API_NO_METHOD),
    "api_application_resources": Entry("/api/v1/applications/{draft.pk}/resources/",
        get=API_NO_METHOD, post=API_NO_METHOD),
    "api_application_claims": Entry("/api/v1/applications/{draft.pk}/claims/", get=API_NO_METHOD, post=API_NO_METHOD),
    "api_claim_evidence": Entry("/api/v1/applications/{draft.pk}/claims/gwangju_located/evidence/",
        get=API_NO_METHOD, post=API_NO_METHOD),
    "api_application_certificate": Entry("/api/v1/applications/{draft.pk}/certificate/",
        get=API_NO_METHOD, post=API_NO_METHOD),
    "api_application_problems": Entry("/api/v1/applications/{draft.pk}/problems/",
        get=API_MEMBERS, post=API_NO_METHOD),
    "api_application_submit": Entry("/api/v1/applications/{draft.pk}/submit/", get=API_NO_METHOD, post=API_MEMBERS_DO),
    "api_application_withdraw": Entry("/api/v1/applications/{submitted.pk}/withdraw/",
        get=API_NO_METHOD, post=API_MEMBERS_DO),
    "api_application_history": Entry("/api/v1/applications/{submitted.pk}/history/",
        get=API_MEMBERS, post=API_NO_METHOD),
    "api_application_score": Entry("/api/v1/applications/{submitted.pk}/score/", get=API_MEMBERS, post=API_NO_METHOD),
    # ---- Allocations and after the award ----------------------------------------------------------------
    "api_allocation_list": Entry("/api/v1/allocations/", get=API_READ, post=API_NO_METHOD),
    "api_allocation_detail": Entry("/api/v1/allocations/{award.pk}/", get=API_MEMBERS, post=API_NO_METHOD),
    "api_allocation_usage": Entry("/api/v1/allocations/{award.pk}/usage/", get=API_MEMBERS, post=API_NO_METHOD),
    "api_change_request_list": Entry("/api/v1/change-requests/", data=extension_data,
        get=API_READ,
        post=(UNAUTHENTICATED, REFUSED,    REFUSED,     INVALID,     INVALID,     INVALID,     INVALID)),
    "api_change_request_detail": Entry("/api/v1/change-requests/{change_request.pk}/",
        get=API_MEMBERS, post=API_NO_METHOD),
    "api_change_request_withdraw": Entry("/api/v1/change-requests/{change_request.pk}/withdraw/",
        get=API_NO_METHOD, post=API_MEMBERS_DO),
    "api_report_list": Entry("/api/v1/reports/", get=API_READ, post=API_NO_METHOD),
    "api_report_detail": Entry("/api/v1/reports/{report.pk}/", get=API_MEMBERS, post=API_NO_METHOD),
    "api_report_submit": Entry("/api/v1/reports/{report.pk}/submit/", data=report_data,
        get=API_NO_METHOD, post=API_MEMBERS_DO),
}
# fmt: on
