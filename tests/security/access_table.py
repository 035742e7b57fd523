"""Who may do what: the expected answer to every URL pattern of the project, for every kind of
user, to GET and to POST. ``test_authorization_matrix.py`` requests each one with real object ids
and compares; a URL pattern missing here fails that test, so a new URL forces a decision.

Adding a URL: add an ``Entry`` under its URL name (``"admin:…"`` for the admin; the route for a
pattern without a name) with a path whose ``{placeholders}`` name objects of the test world
(``tests/security/conftest.py``), the POST body that would do the most harm if the check were
missing, and one answer per role, in the order of ``ROLES``:

    anonymous  not logged in
    owner      the owner of the organisation the objects belong to
    member     a plain member of that organisation
    outsider   the owner of another organisation
    reviewer   staff, group Reviewers (decides applications in the admin)
    operator   staff, group Operators (calls, offerings, capacity, the dashboard)
    superuser
    evaluator  an external expert (평가위원, not staff) with an authenticator app who accepted the
               confidentiality pledge and is assigned one application of the owner's organisation;
               answers as the outsider (a logged-in user of no organisation here) except where
               ``EVALUATOR`` says otherwise

The answers ("wrote nothing": not a row inserted, updated or deleted, even if rolled back; the
test keeps sessions in cookies, so logging in and out is not a write):

    OK           200, and wrote nothing
    LOGGED       200, and wrote only the personal-data access log's record of it (staff were shown
                 or downloaded an applicant's data: ``accesslog``)
    DONE         a redirect after the request wrote to the database (the action was carried out)
    REDIRECT     a redirect (not one asking to log in for this URL), and wrote nothing
    LOGIN        a redirect to the site's login page with this URL as ``next``; wrote nothing
    ADMIN_LOGIN  a redirect to the admin's login (which sends on to the site's); wrote nothing
    DENIED       403; wrote nothing
    HIDDEN       404 (the object is not the user's, or the page is not theirs to know); wrote nothing
    NO_METHOD    405; wrote nothing

and the API's (``/api/``, problem details; a 2xx that wrote is DONE too):

    UNAUTHENTICATED  401 (no credentials); wrote nothing
    INVALID          400 (the body does not pass; the matrix posts the table's ``data`` as a form)
    REFUSED          409 (a domain rule refused in the object's state); wrote nothing
    PRECONDITION     428 (If-Match required and absent); wrote nothing

The site answers an object of someone else's organisation with 404, never 403, so that an id
does not reveal that the object exists.
"""

from collections.abc import Callable
from dataclasses import dataclass

from tests.conftest import PASSWORD
from tests.factories import business_number

ROLES = ("anonymous", "owner", "member", "outsider", "reviewer", "operator", "superuser", "evaluator")
# The columns of an ``Entry``: every role but the evaluator, whose answers are ``EVALUATOR``'s.
COLUMNS = ROLES[:-1]

OK = "OK"
LOGGED = "LOGGED"
DONE = "DONE"
REDIRECT = "REDIRECT"
LOGIN = "LOGIN"
ADMIN_LOGIN = "ADMIN_LOGIN"
DENIED = "DENIED"
HIDDEN = "HIDDEN"
NO_METHOD = "NO_METHOD"
UNAUTHENTICATED = "UNAUTHENTICATED"
INVALID = "INVALID"
REFUSED = "REFUSED"
PRECONDITION = "PRECONDITION"


@dataclass(frozen=True)
class Entry:
    path: str  # str.format()ted with the world's objects: "/applications/{draft.pk}/"
    get: tuple[str, ...]
    post: tuple[str, ...]
    data: Callable | None = None  # world -> the POST body; empty when None

    def __post_init__(self):
        for answers in (self.get, self.post):
            assert len(answers) == len(COLUMNS), f"{self.path}: one answer per role of {COLUMNS}"


# --- POST bodies -----------------------------------------------------------------------------------


def organization_data(world, **changes) -> dict:
    organization = world.organization
    return {
        "legal_name": "탈취된 기관",
        "org_type": organization.org_type,
        "registration_number": organization.registration_number,
        "region": organization.region,
        "address": organization.address,
        "industry": organization.industry,
        "employees": str(organization.employees),
        "website": "",
        **changes,
    }


def new_organization_data(world) -> dict:
    return organization_data(world, legal_name="새 기관", registration_number=business_number(999))


def draft_data(world) -> dict:
    return {
        "purpose": "training",
        "project_title": "바뀐 제목",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
    }


def change_request_data(world) -> dict:
    return {
        "kind": "extension",
        "justification": "더 필요",
        "ends_on": (world.award.ends_on.replace(day=28)).isoformat(),
    }


def report_data(world) -> dict:
    return {"work_done": "학습 완료", "outcomes": "정확도 향상", "publications": ""}


def survey_data(world) -> dict:
    # "0" is "did not use"; every area must be answered.
    return {
        "rating_compute": "5",
        "rating_dev_env": "4",
        "rating_data_saas": "0",
        "rating_support": "5",
        "comments": "",
    }


def scores_data(world) -> dict:
    criterion = world.assignment.stage.criteria.first()
    return {f"score_{criterion.pk}": "80", f"reason_{criterion.pk}": "근거", "save": ""}


def confirmed_fill_plan(world) -> dict:
    """The fill-by-priority preview's confirmation: the digest of the plan it showed."""
    from allocations.services.filling import fill_by_priority_plan

    return {"plan": fill_by_priority_plan(actor=world.user("reviewer"), call=world.decided_call).digest}


def selected(pk_name: str, action: str, **extra):
    """An admin changelist action on one object, confirmed."""
    return lambda world: {
        "action": action,
        "_selected_action": [getattr(world, pk_name).pk],
        "index": "0",
        "post": "yes",
        "confirm": "1",
        **extra,
    }


def confirm_delete(world) -> dict:
    return {"post": "yes"}


# --- The table -------------------------------------------------------------------------------------

# Rows that recur. The admin sends applicants (and anonymous visitors) to its login page.
# fmt: off
#                 anonymous    owner        member       outsider     reviewer     operator     superuser
EVERYONE =       (OK,          OK,          OK,          OK,          OK,          OK,          OK)
NOBODY_POSTS =   (NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD)
LOGGED_IN =      (LOGIN,       OK,          OK,          OK,          OK,          OK,          OK)
MEMBERS =        (LOGIN,       OK,          OK,          HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)
MEMBERS_STAFF =  (LOGIN,       OK,          OK,          HIDDEN,      OK,          OK,          OK)
# Staff reading an applicant's data: each time is recorded in the personal-data access log.
MEMBERS_STAFF_LOGGED = (LOGIN, OK,          OK,          HIDDEN,      LOGGED,      LOGGED,      LOGGED)
POST_ONLY =      (LOGIN,       NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD)
LOGGED_IN_GET_ONLY = POST_ONLY
ALWAYS_REDIRECT = (REDIRECT,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)
LOGGED_IN_REDIRECT = (LOGIN,   REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)
FACTOR_HOLDERS = (LOGIN,       REDIRECT,    REDIRECT,    REDIRECT,    OK,          OK,          OK)
FACTOR_PAGE =    (LOGIN,       HIDDEN,      HIDDEN,      HIDDEN,      REDIRECT,    REDIRECT,    REDIRECT)
OPERATORS =      (LOGIN,       DENIED,      DENIED,      DENIED,      DENIED,      OK,          OK)
OPERATORS_LOGGED = (LOGIN,     DENIED,      DENIED,      DENIED,      DENIED,      LOGGED,      LOGGED)
ALL_STAFF =      (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK,          OK)
STAFF_GET_ONLY = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, NO_METHOD,   NO_METHOD,   NO_METHOD)
STAFF_REDIRECT = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, REDIRECT,    REDIRECT,    REDIRECT)
STAFF_HIDDEN =   (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, HIDDEN,      HIDDEN,      HIDDEN)
SUPERUSER =      (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,      DENIED,      OK)
SUPERUSER_DOES = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,      DENIED,      DONE)
NOBODY_ADMIN =   (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,      DENIED,      DENIED)
REVIEWERS =      (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          DENIED,      OK)
REVIEWERS_LOGGED = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, LOGGED,    DENIED,      LOGGED)
ALL_STAFF_LOGGED = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, LOGGED,    LOGGED,      LOGGED)
SUPERUSER_LOGGED = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,    DENIED,      LOGGED)
REVIEWERS_DO =   (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DONE,        DENIED,      DONE)
OPERATORS_ADMIN = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,     OK,          OK)
OPERATORS_ADMIN_LOGGED = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED, LOGGED,  LOGGED)
REVIEWERS_DO_OPERATORS_DENIED = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DONE, DENIED, DONE)
# The evaluator's pages: nobody else knows them (their answers for the evaluator are in EVALUATOR).
NOT_EVALUATORS = (LOGIN,       HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)
# fmt: on
# A changelist action the role may not run is not offered: the changelist is shown again and
# nothing changes (SUPERUSER_DOES for the models only the superuser sees at all).
# Objects that decided records depend on are never deleted: whoever may delete them is sent back
# with one message naming what protects them (portal/admin_deletes.py), and nothing changes; the
# bulk delete is not offered to the others, who see the changelist again.
# fmt: off
#                          anonymous    owner        member       outsider     reviewer     operator     superuser
PROTECTED_DELETE =        (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,      REDIRECT,    REDIRECT)
PROTECTED =               (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          REDIRECT,    REDIRECT)
PROTECTED_DELETE_SUPERUSER = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED,   DENIED,      REDIRECT)
PROTECTED_SUPERUSER =     (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK,          OK,          REDIRECT)
# fmt: on


def model_admin(
    app_model: str,
    obj: str,
    *,
    view,
    add,
    add_post,
    change,
    change_post,
    delete,
    delete_post,
    action,
    action_data,
    history=None,
) -> dict[str, Entry]:
    """The URLs every ModelAdmin has: the changelist (GET, and POST running ``action_data``),
    add, change, delete, history, and the bare object URL that redirects to the change page."""
    app, model = app_model.split(".")
    base = f"/admin/{app}/{model}/"
    name = f"admin:{app}_{model}"
    item = f"{base}{{{obj}.pk}}/"
    return {
        f"{name}_changelist": Entry(base, get=view, post=action, data=action_data),
        f"{name}_add": Entry(f"{base}add/", get=add, post=add_post),
        f"{name}_change": Entry(f"{item}change/", get=change, post=change_post),
        f"{name}_delete": Entry(f"{item}delete/", get=delete, post=delete_post, data=confirm_delete),
        f"{name}_history": Entry(f"{item}history/", get=history or change, post=history or change),
        f"admin/{app}/{model}/<path:object_id>/": Entry(item, get=STAFF_REDIRECT, post=STAFF_REDIRECT),
    }


# fmt: off
ACCESS: dict[str, Entry] = {
    # ---- The public site and the applicant's pages -----------------------------------------------
    #            anonymous    owner        member       outsider     reviewer     operator     superuser
    "home": Entry("/", get=EVERYONE, post=EVERYONE),
    "call_list": Entry("/calls/", get=EVERYONE, post=EVERYONE),
    "call_detail": Entry("/calls/{call.pk}/", get=EVERYONE, post=EVERYONE),
    "call_apply": Entry("/calls/{spare_call.pk}/apply/", data=lambda w: {"organization": w.organization.pk},
        get=POST_ONLY,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    "organization_create": Entry("/organisations/new/", data=new_organization_data,
        get=LOGGED_IN,
        post=(LOGIN,       DONE,        DONE,        DONE,        DONE,        DONE,        DONE)),
    "organization_detail": Entry("/organisations/{organization.pk}/", get=MEMBERS, post=MEMBERS),
    "organization_edit": Entry("/organisations/{organization.pk}/edit/", data=organization_data,
        get=(LOGIN,        OK,          HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN),
        post=(LOGIN,       DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # A plain member may not invite: sent back to the profile with a message.
    "organization_invite": Entry("/organisations/{organization.pk}/invite/",
        data=lambda w: {"email": "intruder@example.kr"},
        get=POST_ONLY,
        post=(LOGIN,       DONE,        REDIRECT,    HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # The token is the invitation's secret, and only the invited address (the outsider's) joins.
    "invitation_accept": Entry("/invitations/{invitation.token}/",
        get=LOGGED_IN,
        post=(LOGIN,       REDIRECT,    REDIRECT,    DONE,        REDIRECT,    REDIRECT,    REDIRECT)),
    # Asking to join the organisation registered under a number: its members are told they are in.
    "join_request_create": Entry("/organisations/join/",
        data=lambda w: {"registration_number": w.organization.registration_number, "message": "연구팀 김철수입니다"},
        get=LOGGED_IN,
        post=(LOGIN,       OK,          OK,          DONE,        DONE,        DONE,        DONE)),
    # Only an owner of the organisation answers; to anyone else the request does not exist.
    "join_request_answer": Entry("/join-requests/{join_request.pk}/approve/",
        get=POST_ONLY,
        post=(LOGIN,       DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # An owner makes another member an owner; a plain member is sent back with a message.
    "membership_make_owner": Entry("/organisations/{organization.pk}/members/{member_membership.pk}/owner/",
        get=POST_ONLY,
        post=(LOGIN,       DONE,        REDIRECT,    HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # The policies are public.
    "privacy_policy": Entry("/privacy/", get=EVERYONE, post=EVERYONE),
    "terms": Entry("/terms/", get=EVERYONE, post=EVERYONE),
    # One's own consents, for anyone logged in. Withdrawing the optional one (the name) acts on
    # one's own account only; the world's people keep no name, so there is nothing to withdraw
    # and the page comes back (tests/privacy/test_consents_page.py withdraws a kept one).
    "consents": Entry("/accounts/consents/", data=lambda w: {"action": "withdraw"},
        get=LOGGED_IN, post=LOGGED_IN_REDIRECT),
    # Deleting one's own account with the right password: the owner (the only owner of an
    # organisation with another member) and staff are refused on the page; the others are deleted.
    "account_delete": Entry("/accounts/delete/", data=lambda w: {"password": PASSWORD, "confirm": "on"},
        get=LOGGED_IN,
        post=(LOGIN,       OK,          DONE,        DONE,        OK,          OK,          OK)),
    "application_list": Entry("/applications/", get=LOGGED_IN, post=LOGGED_IN),
    # Staff read any application; only its organisation's members change it.
    "application_detail": Entry("/applications/{draft.pk}/", get=MEMBERS_STAFF_LOGGED, post=MEMBERS_STAFF_LOGGED),
    # The form's entry sends members on to its first step.
    "application_edit": Entry("/applications/{draft.pk}/edit/", data=draft_data,
        get=(LOGIN,       REDIRECT,    REDIRECT,    HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN),
        post=(LOGIN,       REDIRECT,    REDIRECT,    HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # One step of the form (every step is the same view; the project step stands for them).
    "application_step": Entry("/applications/{draft.pk}/edit/project/", data=draft_data,
        get=MEMBERS,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    "application_review": Entry("/applications/{draft.pk}/edit/review/",
        get=MEMBERS,
        post=(LOGIN,       NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD,   NO_METHOD)),
    "application_submit": Entry("/applications/{draft.pk}/submit/",
        get=POST_ONLY,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    "application_withdraw": Entry("/applications/{draft.pk}/withdraw/", data=lambda w: {"reason": "바꿔치기"},
        get=POST_ONLY,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    "application_certificate": Entry("/applications/{draft.pk}/certificate/",
        get=MEMBERS_STAFF_LOGGED, post=MEMBERS_STAFF_LOGGED),
    "claim_evidence": Entry("/claims/{claim.pk}/evidence/", get=MEMBERS_STAFF_LOGGED, post=MEMBERS_STAFF_LOGGED),

    # ---- After the award: requests, reports, surveys; each user's e-mails ------------------------
    #            anonymous    owner        member       outsider     reviewer     operator     superuser
    # The allocation already has a request awaiting a decision: the form says so and nothing is written.
    "change_request_new": Entry("/allocations/{award.pk}/change/", data=change_request_data,
        get=MEMBERS,
        post=MEMBERS),
    "change_request_withdraw": Entry("/change-requests/{change_request.pk}/withdraw/",
        data=lambda w: {"reason": "취소"},
        get=POST_ONLY,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # Staff read reports (reviewers weigh an organisation's record); only members file them.
    "report_detail": Entry("/reports/{report.pk}/", data=report_data,
        get=MEMBERS_STAFF,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      REDIRECT,    REDIRECT,    REDIRECT)),
    "report_attachment": Entry("/reports/{filed_report.pk}/attachment/",
        get=MEMBERS_STAFF_LOGGED, post=MEMBERS_STAFF_LOGGED),
    "survey_answer": Entry("/surveys/{survey.pk}/", data=survey_data,
        get=MEMBERS,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    # An allocation's usage: its organisation's members only; staff and other organisations get a
    # 404 (they see usage on the operator's pages and in the admin, never through this page).
    "allocation_usage": Entry("/allocations/{award.pk}/", get=MEMBERS, post=NOBODY_POSTS),
    # A reclaim case: its organisation's members read it and answer it; nobody else learns it exists.
    "reclaim_case": Entry("/reclaim/{reclaim_case.pk}/", data=lambda w: {"kind": "plan", "answer": "다음 달 학습"},
        get=MEMBERS,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    "notification_list": Entry("/notifications/", data=lambda w: {"language": "en"},
        get=LOGGED_IN,
        post=(LOGIN,       DONE,        DONE,        DONE,        DONE,        DONE,        DONE)),

    # ---- The evaluation: the evaluator's pages (see EVALUATOR) and the applicant's objection -----
    #            anonymous    owner        member       outsider     reviewer     operator     superuser
    "evaluation_assignments": Entry("/evaluation/", get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    "evaluation_pledge": Entry("/evaluation/pledge/", data=lambda w: {"accept": "on"},
        get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    # The token is the invitation's secret, and only the invited address (the outsider's) accepts.
    "evaluator_invitation_accept": Entry("/evaluation/invitations/{evaluator_invitation.token}/",
        get=LOGGED_IN,
        post=(LOGIN,       REDIRECT,    REDIRECT,    DONE,        REDIRECT,    REDIRECT,    REDIRECT)),
    "evaluation_assignment": Entry("/evaluation/assignments/{assignment.pk}/", data=scores_data,
        get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    "evaluation_conflict": Entry("/evaluation/assignments/{assignment.pk}/conflict/",
        data=lambda w: {"kind": "recusal", "reason": "전 직장"}, get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    "evaluation_decline": Entry("/evaluation/assignments/{assignment.pk}/decline/",
        data=lambda w: {"reason": "일정 문제"}, get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    "evaluation_certificate": Entry("/evaluation/assignments/{assignment.pk}/certificate/",
        get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    "evaluation_evidence": Entry("/evaluation/assignments/{assignment.pk}/claims/{evaluated_claim.pk}/evidence/",
        get=NOT_EVALUATORS, post=NOT_EVALUATORS),
    # Within the objection period of the decided application; once (the objected one has its own).
    "objection_file": Entry("/applications/{evaluated_decided.pk}/objection/",
        data=lambda w: {"reason": "평가 결과에 이의가 있습니다."},
        get=MEMBERS,
        post=(LOGIN,       DONE,        DONE,        HIDDEN,      HIDDEN,      HIDDEN,      HIDDEN)),
    "objection_attachment": Entry("/objections/{objection.pk}/attachment/",
        get=MEMBERS_STAFF_LOGGED, post=MEMBERS_STAFF_LOGGED),

    # ---- The operator's dashboard and the public statistics --------------------------------------
    "dashboard": Entry("/ops/", get=OPERATORS, post=NOBODY_POSTS),
    "dashboard_export": Entry("/ops/export/capacity.csv", get=OPERATORS, post=NOBODY_POSTS),
    "dashboard_usage": Entry("/ops/usage/", get=OPERATORS, post=NOBODY_POSTS),
    # The personal-data access log for an audit: those who may read it (operators); itself recorded.
    "access_log_export": Entry("/ops/access-log.csv?start=2026-01-01&end=2026-12-31",
        get=OPERATORS_LOGGED, post=NOBODY_POSTS),
    "public_statistics": Entry("/statistics/", get=EVERYONE, post=NOBODY_POSTS),
    # Prometheus's scrape: allowed by address or token, whoever is logged in. The test client
    # connects from 127.0.0.1, which METRICS_ALLOWED_IPS allows by default; any other address
    # without the token gets 404, logged in or not (tests/dashboard/test_metrics.py).
    "metrics": Entry("/metrics", get=EVERYONE, post=NOBODY_POSTS),

    # ---- Accounts (allauth) and the language switch ----------------------------------------------
    #            anonymous    owner        member       outsider     reviewer     operator     superuser
    "account_login": Entry("/accounts/login/",
        get=(OK,           REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
        post=(OK,          REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    "account_logout": Entry("/accounts/logout/",
        get=(REDIRECT,     OK,          OK,          OK,          OK,          OK,          OK),
        post=(REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    "account_inactive": Entry("/accounts/inactive/", get=EVERYONE, post=NOBODY_POSTS),
    "account_signup": Entry("/accounts/signup/",
        get=(OK,           REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
        post=(OK,          REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    "account_reauthenticate": Entry("/accounts/reauthenticate/", get=LOGGED_IN, post=LOGGED_IN),
    "account_email": Entry("/accounts/email/",
        get=LOGGED_IN,
        post=(LOGIN,       REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    "account_email_verification_sent": Entry("/accounts/confirm-email/", get=EVERYONE, post=NOBODY_POSTS),
    "account_change_password": Entry("/accounts/password/change/", get=LOGGED_IN, post=LOGGED_IN),
    "account_set_password": Entry("/accounts/password/set/",
        get=(LOGIN,        REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
        post=(LOGIN,       REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    "account_reset_password": Entry("/accounts/password/reset/", get=EVERYONE, post=EVERYONE),
    "account_reset_password_done": Entry("/accounts/password/reset/done/", get=EVERYONE, post=NOBODY_POSTS),
    # The e-mailed key is the credential: whoever holds it confirms the address or sets the password.
    "account_confirm_email": Entry("/accounts/confirm-email/{confirmation_key}/",
        get=EVERYONE,
        post=(DONE,        DONE,        DONE,        DONE,        DONE,        DONE,        DONE)),
    # (The key's own user, logged in, gets the form at once; anyone else is sent to it.)
    "account_reset_password_from_key": Entry("/accounts/password/reset/key/{reset_uid}-{reset_key}/",
        get=(REDIRECT,     OK,          REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
        post=(REDIRECT,    OK,          REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    "account_reset_password_from_key_done": Entry("/accounts/password/reset/key/done/",
        get=EVERYONE, post=NOBODY_POSTS),
    "account_confirm_login_code": Entry("/accounts/login/code/confirm/",
        get=(REDIRECT,     REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
        post=(REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT)),
    # ---- Second factors (allauth.mfa) --------------------------------------------------------------
    #            anonymous    owner        member       outsider     reviewer     operator     superuser
    # Everyone logged in may set one up (staff must: test_staff_second_factor.py).
    # Adding, showing or removing a factor asks for the password (or the factor) again first
    # (REDIRECT); what the user does not have is not found. The applicants here have none, the
    # staff an authenticator app with its recovery codes.
    "mfa_index": Entry("/accounts/2fa/", get=LOGGED_IN, post=LOGGED_IN_GET_ONLY),
    # Only within a login that has passed its password: the login page otherwise.
    "mfa_authenticate": Entry("/accounts/2fa/authenticate/", get=ALWAYS_REDIRECT, post=ALWAYS_REDIRECT),
    # Logging in again with a factor, for those who have one; the others with their password.
    "mfa_reauthenticate": Entry("/accounts/2fa/reauthenticate/", get=FACTOR_HOLDERS, post=FACTOR_HOLDERS),
    "mfa_activate_totp": Entry("/accounts/2fa/totp/activate/", data=lambda w: {"code": "123456"},
        get=LOGGED_IN_REDIRECT, post=LOGGED_IN_REDIRECT),
    "mfa_deactivate_totp": Entry("/accounts/2fa/totp/deactivate/", get=FACTOR_PAGE, post=FACTOR_PAGE),
    "mfa_view_recovery_codes": Entry("/accounts/2fa/recovery-codes/", get=FACTOR_PAGE, post=LOGGED_IN_GET_ONLY),
    "mfa_generate_recovery_codes": Entry("/accounts/2fa/recovery-codes/generate/",
        get=LOGGED_IN_REDIRECT, post=LOGGED_IN_REDIRECT),
    "mfa_download_recovery_codes": Entry("/accounts/2fa/recovery-codes/download/", get=FACTOR_PAGE, post=FACTOR_PAGE),
    "mfa_list_webauthn": Entry("/accounts/2fa/webauthn/", get=LOGGED_IN, post=LOGGED_IN_GET_ONLY),
    "mfa_add_webauthn": Entry("/accounts/2fa/webauthn/add/", get=LOGGED_IN_REDIRECT, post=LOGGED_IN_REDIRECT),
    "mfa_reauthenticate_webauthn": Entry("/accounts/2fa/webauthn/reauthenticate/",
        get=LOGGED_IN_REDIRECT, post=LOGGED_IN_REDIRECT),
    # A security key is its owner's alone (here: the reviewer's authenticator app, no key at all).
    "mfa_remove_webauthn": Entry("/accounts/2fa/webauthn/keys/{authenticator.pk}/remove/",
        get=LOGGED_IN_REDIRECT, post=LOGGED_IN_REDIRECT),
    "mfa_edit_webauthn": Entry("/accounts/2fa/webauthn/keys/{authenticator.pk}/edit/",
        data=lambda w: {"name": "바뀐 이름"}, get=LOGGED_IN_REDIRECT, post=LOGGED_IN_REDIRECT),

    # A logged-in user's choice is saved on their profile (their e-mails and other browsers follow).
    "set_language": Entry("/i18n/setlang/", data=lambda w: {"language": "en"},
        get=(REDIRECT,     REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT),
        post=(REDIRECT,    DONE,        DONE,        DONE,        DONE,        DONE,        DONE)),

    # ---- The admin site ----------------------------------------------------------------------------
    #            anonymous    owner        member       outsider     reviewer     operator     superuser
    "admin:index": Entry("/admin/", get=ALL_STAFF, post=ALL_STAFF),
    # The admin's login form never takes credentials: anonymous visitors go to the site's login
    # (with its failed-login limits), logged-in staff to the admin, applicants are refused.
    "admin:login": Entry("/admin/login/",
        data=lambda w: {"username": w.owner.email, "password": "correct-horse-battery-staple"},
        get=(LOGIN,        DENIED,      DENIED,      DENIED,      REDIRECT,    REDIRECT,    REDIRECT),
        post=(LOGIN,       DENIED,      DENIED,      DENIED,      REDIRECT,    REDIRECT,    REDIRECT)),
    "admin:logout": Entry("/admin/logout/",
        get=(REDIRECT,     REDIRECT,    REDIRECT,    REDIRECT,    NO_METHOD,   NO_METHOD,   NO_METHOD),
        post=(REDIRECT,    REDIRECT,    REDIRECT,    REDIRECT,    OK,          OK,          OK)),
    # Sent to allauth's page, which limits the attempts.
    "admin:password_change": Entry("/admin/password_change/", get=STAFF_REDIRECT, post=STAFF_REDIRECT),
    "admin:password_change_done": Entry("/admin/password_change/done/", get=ALL_STAFF, post=STAFF_GET_ONLY),
    # Searching users by e-mail for a membership: only for those who may see users.
    "admin:autocomplete": Entry(
        "/admin/autocomplete/?app_label=applications&model_name=membership&field_name=user&term=example",
        get=SUPERUSER, post=STAFF_GET_ONLY),
    "admin:jsi18n": Entry("/admin/jsi18n/", get=ALL_STAFF, post=STAFF_GET_ONLY),
    # No model of the portal has a public page to view on the site.
    "admin:view_on_site": Entry("/admin/r/{application_type.pk}/{submitted.pk}/", get=STAFF_HIDDEN, post=STAFF_HIDDEN),
    "admin:app_list": Entry("/admin/applications/", get=ALL_STAFF, post=ALL_STAFF),
    "admin/(?P<url>.*)$": Entry("/admin/no-such-page/", get=STAFF_HIDDEN, post=STAFF_HIDDEN),

    # Users, groups and e-mail addresses: the superuser's alone.
    **model_admin("auth.group", "group", view=SUPERUSER, add=SUPERUSER, add_post=SUPERUSER,
                  change=SUPERUSER, change_post=SUPERUSER, delete=SUPERUSER, delete_post=SUPERUSER_DOES,
                  action=SUPERUSER_DOES, action_data=selected("group", "delete_selected")),
    **model_admin("account.emailaddress", "email_address", view=SUPERUSER, add=SUPERUSER, add_post=SUPERUSER,
                  change=SUPERUSER, change_post=SUPERUSER, delete=SUPERUSER, delete_post=SUPERUSER_DOES,
                  action=SUPERUSER_DOES, action_data=selected("email_address", "delete_selected")),
    # A user's page (their name and address) is recorded in the personal-data access log.
    **model_admin("accounts.user", "owner", view=SUPERUSER, add=SUPERUSER, add_post=SUPERUSER, history=SUPERUSER,
                  change=SUPERUSER_LOGGED, change_post=SUPERUSER_LOGGED, delete=SUPERUSER, delete_post=SUPERUSER_DOES,
                  action=SUPERUSER_DOES, action_data=selected("owner", "delete_selected")),
    # The personal-data access log: operators (and the superuser) read it; nobody adds, changes or
    # deletes a record, the superuser included.
    **model_admin("accesslog.accessrecord", "access_record", view=OPERATORS_ADMIN, add=NOBODY_ADMIN,
                  add_post=NOBODY_ADMIN, change=OPERATORS_ADMIN, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=OPERATORS_ADMIN,
                  action_data=selected("access_record", "delete_selected")),
    # Second factors: the superuser's alone; listed without their secrets, never added or edited
    # there, deleted when a staff member lost the device (they enrol again at the next login).
    **model_admin("mfa.authenticator", "authenticator", view=SUPERUSER, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=SUPERUSER, change_post=NOBODY_ADMIN, delete=SUPERUSER, delete_post=SUPERUSER_DOES,
                  action=SUPERUSER_DOES, action_data=selected("authenticator", "delete_selected")),
    "admin:auth_user_password_change": Entry("/admin/accounts/user/{owner.pk}/password/",
        data=lambda w: {"password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42"},
        get=SUPERUSER, post=SUPERUSER_DOES),

    # Calls and their priority policy: operators edit, reviewers read and fill by priority.
    **model_admin("applications.call", "call", view=ALL_STAFF, add=OPERATORS_ADMIN, add_post=OPERATORS_ADMIN,
                  change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=PROTECTED_DELETE, delete_post=PROTECTED_DELETE,
                  action=PROTECTED, action_data=selected("call", "delete_selected")),
    "admin:applications_call_fill_by_priority": Entry("/admin/applications/call/{decided_call.pk}/fill-by-priority/",
        data=confirmed_fill_plan, get=REVIEWERS, post=REVIEWERS_DO),

    # Organisations: staff read them (reviewers must know whom they decide for); the superuser edits.
    # Each page shown (the organisation's identity, its members' addresses) is recorded.
    **model_admin("applications.organization", "organization", view=ALL_STAFF, add=SUPERUSER, add_post=SUPERUSER,
                  change=ALL_STAFF_LOGGED, change_post=SUPERUSER_LOGGED, history=ALL_STAFF,
                  delete=PROTECTED_DELETE_SUPERUSER, delete_post=PROTECTED_DELETE_SUPERUSER,
                  action=PROTECTED_SUPERUSER, action_data=selected("organization", "delete_selected")),
    **model_admin("applications.invitation", "invitation", view=SUPERUSER, add=SUPERUSER, add_post=SUPERUSER,
                  change=SUPERUSER, change_post=SUPERUSER, delete=SUPERUSER, delete_post=SUPERUSER_DOES,
                  action=SUPERUSER_DOES, action_data=selected("invitation", "delete_selected")),

    # Applications: read-only in the admin; decided through the decision page and the actions,
    # by reviewers (and the superuser), never added or deleted. The change page and the decision
    # page shown are recorded in the personal-data access log.
    **model_admin("applications.application", "submitted", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF_LOGGED, change_post=SUPERUSER_LOGGED, history=ALL_STAFF,
                  delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DONE, OK, DONE),
                  action_data=selected("submitted", "reject_selected", reason="중복 신청")),
    "admin:applications_application_decide": Entry("/admin/applications/application/{submitted.pk}/decide/",
        data=lambda w: {"decision": "reject", "reason": "요건 미충족"},
        get=REVIEWERS_LOGGED, post=REVIEWERS_DO),
    "admin:applications_application_claim_review": Entry(
        "/admin/applications/application/{submitted.pk}/claims/{claim.pk}/review/",
        data=lambda w: {"verdict": "verified"},
        get=STAFF_GET_ONLY, post=REVIEWERS_DO),

    # Offerings and their capacity phases: operators edit, reviewers read.
    **model_admin("pool.offering", "offering", view=ALL_STAFF, add=OPERATORS_ADMIN, add_post=OPERATORS_ADMIN,
                  change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=PROTECTED_DELETE, delete_post=PROTECTED_DELETE,
                  action=PROTECTED, action_data=selected("offering", "delete_selected")),

    # Allocations: made and released by the engine; operators may revoke one.
    **model_admin("allocations.allocation", "allocation", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, DONE, DONE),
                  action_data=selected("allocation", "revoke")),

    # After the award: reviewers decide change requests like applications; reports and surveys are
    # read-only records; operators follow the e-mail log and may queue a failed e-mail again.
    **model_admin("aftercare.changerequest", "change_request", view=ALL_STAFF, add=NOBODY_ADMIN,
                  add_post=NOBODY_ADMIN, change=ALL_STAFF, change_post=SUPERUSER, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DONE, OK, DONE),
                  action_data=selected("change_request", "reject_selected", reason="예산 소진")),
    "admin:aftercare_changerequest_decide": Entry("/admin/aftercare/changerequest/{change_request.pk}/decide/",
        data=lambda w: {"decision": "reject", "reason": "자원 부족"},
        get=REVIEWERS, post=REVIEWERS_DO),
    # A report's page (what the organisation did, who filed it) is recorded in the access log.
    **model_admin("aftercare.report", "report", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF_LOGGED, history=ALL_STAFF, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN,
                  action=ALL_STAFF, action_data=selected("report", "delete_selected")),
    # The survey's invitations and answers (free text included) are the operators'.
    **model_admin("aftercare.surveyinvitation", "survey", view=OPERATORS_ADMIN, add=NOBODY_ADMIN,
                  add_post=NOBODY_ADMIN, change=OPERATORS_ADMIN, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=OPERATORS_ADMIN, action_data=selected("survey", "delete_selected")),
    **model_admin("aftercare.surveyresponse", "survey_response", view=OPERATORS_ADMIN, add=NOBODY_ADMIN,
                  add_post=NOBODY_ADMIN, change=OPERATORS_ADMIN, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=OPERATORS_ADMIN,
                  action_data=selected("survey_response", "delete_selected")),
    # Reclaim: reviewers decide cases like change requests (read-only rows, a decision page);
    # operators set each call's policy; staff read what was reclaimed and where it went.
    **model_admin("reclaim.reclaimcase", "reclaim_case", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF, change_post=SUPERUSER, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=ALL_STAFF, action_data=selected("reclaim_case", "delete_selected")),
    "admin:reclaim_reclaimcase_decide": Entry("/admin/reclaim/reclaimcase/{reclaim_case.pk}/decide/",
        data=lambda w: {"decision": "keep", "reason": "예외 인정"},
        get=REVIEWERS, post=REVIEWERS_DO),
    "admin:reclaim_reclaimcase_reclaimed": Entry("/admin/reclaim/reclaimcase/reclaimed/",
        get=ALL_STAFF, post=STAFF_GET_ONLY),
    **model_admin("reclaim.reclaimpolicy", "reclaim_policy", view=ALL_STAFF, add=OPERATORS_ADMIN,
                  add_post=OPERATORS_ADMIN, change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=SUPERUSER,
                  delete_post=SUPERUSER_DOES,
                  action=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, OK, OK, DONE),
                  action_data=selected("reclaim_policy", "delete_selected")),
    # Saving a notification's (read-only) page writes the admin's log entry and nothing else; the
    # "queue again" action leaves an e-mail that was not refused as it is.
    # An e-mail's page (its recipient and text) is recorded in the personal-data access log.
    **model_admin("notifications.notification", "notification", view=OPERATORS_ADMIN, add=NOBODY_ADMIN,
                  add_post=NOBODY_ADMIN, change=OPERATORS_ADMIN_LOGGED, history=OPERATORS_ADMIN,
                  change_post=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED, DONE, DONE),
                  delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, DENIED, REDIRECT, REDIRECT),
                  action_data=selected("notification", "retry")),
    # Merit evaluation: operators set the selection policy, the stages and their rubrics; reviewers
    # run the stages, assign evaluators and record the committee's decisions; both read the panel
    # sheet (organisations and anonymised scores, no person's data: not recorded, like the queue).
    **model_admin("evaluation.callevaluation", "call_policy", view=ALL_STAFF, add=OPERATORS_ADMIN,
                  add_post=OPERATORS_ADMIN, change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=ALL_STAFF, action_data=selected("call_policy", "delete_selected")),
    **model_admin("evaluation.stage", "stage", view=ALL_STAFF, add=OPERATORS_ADMIN, add_post=OPERATORS_ADMIN,
                  change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=ALL_STAFF, action_data=selected("stage", "delete_selected")),
    "admin:evaluation_stage_open": Entry("/admin/evaluation/stage/{stage.pk}/open/",
        get=STAFF_GET_ONLY, post=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, REDIRECT, DENIED, REDIRECT)),
    "admin:evaluation_stage_close": Entry("/admin/evaluation/stage/{stage.pk}/close/",
        get=STAFF_GET_ONLY, post=REVIEWERS_DO_OPERATORS_DENIED),
    "admin:evaluation_stage_assign": Entry("/admin/evaluation/stage/{stage.pk}/assign/",
        get=STAFF_GET_ONLY, post=REVIEWERS_DO_OPERATORS_DENIED),
    "admin:evaluation_stage_assign_one": Entry("/admin/evaluation/stage/{stage.pk}/assign-one/",
        data=lambda w: {"application": w.evaluated.pk, "evaluator": w.second_evaluator.pk},
        get=STAFF_GET_ONLY, post=REVIEWERS_DO_OPERATORS_DENIED),
    "admin:evaluation_stage_reassign": Entry("/admin/evaluation/stage/{stage.pk}/reassign/",
        get=STAFF_GET_ONLY, post=REVIEWERS_DO_OPERATORS_DENIED),
    "admin:evaluation_stage_panel": Entry("/admin/evaluation/stage/{stage.pk}/panel/", get=ALL_STAFF, post=ALL_STAFF),
    "admin:evaluation_stage_panel_csv": Entry("/admin/evaluation/stage/{stage.pk}/panel.csv",
        get=ALL_STAFF, post=ALL_STAFF),
    "admin:evaluation_stage_panel_print": Entry("/admin/evaluation/stage/{stage.pk}/panel/print/",
        get=ALL_STAFF, post=ALL_STAFF),
    "admin:evaluation_stage_decide": Entry("/admin/evaluation/stage/{stage.pk}/panel/decide/",
        data=lambda w: {"application": w.evaluated.pk, "decision": "reject", "reason": "평가 결과 미달"},
        get=STAFF_GET_ONLY, post=REVIEWERS_DO_OPERATORS_DENIED),
    **model_admin("evaluation.assignment", "assignment", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, REDIRECT, OK, REDIRECT),
                  action_data=selected("assignment", "reassign_selected")),
    **model_admin("evaluation.conflictdeclaration", "evaluator_conflict", view=ALL_STAFF, add=REVIEWERS,
                  add_post=REVIEWERS, change=ALL_STAFF, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=ALL_STAFF,
                  action_data=selected("evaluator_conflict", "delete_selected")),
    **model_admin("evaluation.evaluator", "evaluator", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF, change_post=OPERATORS_ADMIN, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=ALL_STAFF, action_data=selected("evaluator", "delete_selected")),
    # What waits for the broker (written and emptied by the outbox): operators watch it, nobody edits it.
    **model_admin("outbox.outboxmessage", "outbox_message", view=OPERATORS_ADMIN, add=NOBODY_ADMIN,
                  add_post=NOBODY_ADMIN, change=OPERATORS_ADMIN, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=OPERATORS_ADMIN,
                  action_data=selected("outbox_message", "delete_selected")),
    # What the usage sources reported: staff read it (the evidence of a reclaim), nobody edits it.
    **model_admin("metering.usagerecord", "usage_record", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=ALL_STAFF, action_data=selected("usage_record", "delete_selected")),

    # The evaluation: staff invite evaluators (the add page sends the invitation through the
    # service); nobody edits or deletes an invitation. Objections are read-only, decided by
    # reviewers on their decision page; what the applicant wrote is recorded when shown.
    # (An empty form is shown again with its errors.)
    **model_admin("evaluation.evaluatorinvitation", "evaluator_invitation", view=ALL_STAFF, add=ALL_STAFF,
                  add_post=ALL_STAFF,
                  change=ALL_STAFF, change_post=NOBODY_ADMIN, delete=NOBODY_ADMIN, delete_post=NOBODY_ADMIN,
                  action=ALL_STAFF, action_data=selected("evaluator_invitation", "delete_selected")),
    **model_admin("evaluation.objection", "objection", view=ALL_STAFF, add=NOBODY_ADMIN, add_post=NOBODY_ADMIN,
                  change=ALL_STAFF_LOGGED, change_post=NOBODY_ADMIN, history=ALL_STAFF, delete=NOBODY_ADMIN,
                  delete_post=NOBODY_ADMIN, action=ALL_STAFF, action_data=selected("objection", "delete_selected")),
    "admin:evaluation_objection_decide": Entry("/admin/evaluation/objection/{objection.pk}/decide/",
        data=lambda w: {"outcome": "upheld", "reason": "채점에 오류가 없습니다."},
        get=REVIEWERS_LOGGED, post=REVIEWERS_DO),
}
# fmt: on

# The evaluator's answers (GET, POST) where they differ from the outsider's: their own pages, and
# the second factor's pages (they hold an authenticator app, as staff do).
EVALUATOR: dict[str, tuple[str, str]] = {
    "evaluation_assignments": (OK, OK),
    "evaluation_pledge": (OK, OK),
    "evaluator_invitation_accept": (OK, REDIRECT),
    "evaluation_assignment": (OK, DONE),
    "evaluation_conflict": (NO_METHOD, DONE),
    "evaluation_decline": (NO_METHOD, DONE),
    "evaluation_certificate": (OK, OK),
    "evaluation_evidence": (OK, OK),
    # The outsider is the organisation's invitee; the evaluator is not.
    "invitation_accept": (OK, REDIRECT),
    # An evaluator's account is closed by the operator, not deleted by its holder.
    "account_delete": (OK, OK),
    "mfa_reauthenticate": (OK, OK),
    "mfa_deactivate_totp": (REDIRECT, REDIRECT),
    "mfa_view_recovery_codes": (REDIRECT, NO_METHOD),
    "mfa_download_recovery_codes": (REDIRECT, REDIRECT),
}


def answer(key: str, role: str, method: str) -> str:
    """The table's answer to ``method`` on ``key``'s URL for ``role``."""
    entry = ACCESS[key]
    if role == "evaluator":
        if key in EVALUATOR:
            return EVALUATOR[key][0 if method == "GET" else 1]
        role = "outsider"
    return (entry.get if method == "GET" else entry.post)[COLUMNS.index(role)]


# The API's rows live in their own modules (the applicant's and the staff's endpoints).
from tests.security.access_api import API_ACCESS  # noqa: E402
from tests.security.access_api_staff import API_STAFF_ACCESS  # noqa: E402

ACCESS.update(API_ACCESS)
ACCESS.update(API_STAFF_ACCESS)
