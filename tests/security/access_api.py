"""The access table's rows for the API (the applicant's endpoints, the schema and docs, the token
pages): see access_table.py (which imports this module at its end, after these words exist).

Every API endpoint answers an anonymous caller 401 (UNAUTHENTICATED), another organisation's
object 404 (HIDDEN), and a refusal with problem details. The matrix logs in with a session,
which holds every scope its user may hold (api.permissions).
"""

from tests.security.access_table import (
    DONE,
    EVERYONE,
    HIDDEN,
    LOGGED_IN,
    LOGIN,
    NO_METHOD,
    OK,
    UNAUTHENTICATED,
    Entry,
)


def new_token_data(world) -> dict:
    return {"name": "새 토큰", "scopes": ["read"], "lifetime": "30"}


# fmt: off
#                 anonymous        owner        member       outsider     reviewer     operator     superuser
API_READ =       (UNAUTHENTICATED, OK,          OK,          OK,          OK,          OK,          OK)
API_NO_METHOD =  (UNAUTHENTICATED, NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD)
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
}
# fmt: on
