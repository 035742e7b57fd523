"""Nothing a user types gets a server error: generated data posted to every form of the portal
(the applicant's, the reviewer's decision page, the login pages) and to the query strings of the
dashboard and the review queue is answered with a page, a message or a refusal, never a 500.

Each generated example starts from a valid submission and spoils some of its fields with hostile
values (markup, NUL and control characters, very long text, numbers past any column, other
people's ids), so that the examples reach the services and the database, not only the form's
first check. Every example runs in a savepoint that is rolled back. The test client re-raises
any exception a view lets out, so a server error fails the test with its traceback.
"""

import os
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.applications.conftest import MINIMAL_PDF, png_bytes
from tests.factories import business_number

pytestmark = pytest.mark.django_db

HOSTILE = settings(
    max_examples=int(os.environ.get("HOSTILE_INPUT_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "",
    " ",
    "\x00",
    "abc\x00def",
    "\r\n\t",
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR 1=1 --",
    "{{ 7*7 }}{% debug %}",
    "../../../../etc/passwd",
    "%00%0d%0a",
    "\u202e\u200b\ufeff",
    "경기도 광주시",
    "광주광역시 북구 첨단과기로 123",
    "😀" * 300,
    "A" * 70_000,
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "2031-02-30",
    "0000-00-00",
    "9999-12-31",
    "123-45-67890",
]
hostile_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=200))
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=2, max_size=3))


@st.composite
def spoiled(draw, valid: dict, extra_fields: tuple[str, ...] = ()) -> dict:
    """``valid`` with up to four of its fields (or of ``extra_fields``) replaced by hostile
    values, or removed."""
    data = dict(valid)
    fields = sorted(set(valid) | set(extra_fields))
    for name in draw(st.lists(st.sampled_from(fields), max_size=4, unique=True)):
        if draw(st.booleans()) and name in data:
            del data[name]
        else:
            data[name] = draw(hostile_value)
    return data


file_names = st.builds(
    lambda stem, suffix: (stem or "x") + suffix,
    st.text(max_size=80),
    st.sampled_from(["", ".pdf", ".PDF", ".png", ".jpg", ".jpeg", ".svg", ".html", ".pdf.exe", ".html.pdf", "."]),
)
file_contents = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda tail: b"%PDF-1.4\n" + tail, st.binary(max_size=300)),
    st.builds(lambda tail: b"%PDF-1.4\n" + tail + b"\n%%EOF\n", st.binary(max_size=300)),
    st.builds(lambda tail: b"\x89PNG\r\n\x1a\n" + tail, st.binary(max_size=300)),
    st.builds(lambda tail: b"\xff\xd8\xff" + tail, st.binary(max_size=300)),
    st.just(MINIMAL_PDF),
    st.just(png_bytes() + b"<html><script>alert(1)</script></html>"),
)
uploads = st.builds(SimpleUploadedFile, file_names, file_contents)


def send(world, role: str, method: str, path: str, data=None) -> int:
    """One request in a savepoint that is rolled back; its status (an exception propagates)."""
    with transaction.atomic():
        client = Client()
        if (user := world.user(role)) is not None:
            client.force_login(user)
        response = client.get(path, data) if method == "GET" else client.post(path, data or {})
        transaction.set_rollback(True)
    return response.status_code


def assert_answered(status: int) -> None:
    assert status < 500


# --- The applicant's forms -----------------------------------------------------------------------


def organization_form(world) -> dict:
    return {
        "legal_name": "광주 AI 주식회사",
        "org_type": "sme",
        "registration_number": business_number(777),
        "region": "gwangju",
        "address": "광주광역시 북구 첨단과기로 123",
        "industry": "healthcare",
        "employees": "25",
        "website": "https://example.kr",
        "listed_publicly": "on",
    }


@HOSTILE
@given(data=st.data())
def test_the_organisation_forms_never_fail(world, data):
    form = data.draw(spoiled(organization_form(world)))
    path = data.draw(st.sampled_from(["/organisations/new/", f"/organisations/{world.organization.pk}/edit/"]))

    assert_answered(send(world, "owner", "POST", path, form))


@HOSTILE
@given(email=hostile_value)
def test_the_invitation_form_never_fails(world, email):
    assert_answered(send(world, "owner", "POST", f"/organisations/{world.organization.pk}/invite/", {"email": email}))


@HOSTILE
@given(token=st.one_of(hostile_text.filter(bool), st.just("TOKEN")))
def test_accepting_an_invitation_never_fails(world, token):
    token = world.invitation.token if token == "TOKEN" else token
    path = f"/invitations/{quote(token, safe='')}/"

    assert_answered(send(world, "outsider", "GET", path))
    assert_answered(send(world, "outsider", "POST", path))


@HOSTILE
@given(organization=hostile_value)
def test_applying_never_fails(world, organization):
    assert_answered(
        send(world, "owner", "POST", f"/calls/{world.spare_call.pk}/apply/", {"organization": organization})
    )


def application_form(world) -> dict:
    call = world.call
    return {
        "purpose": "training",
        "project_title": "제조 결함 탐지 모델 학습",
        "summary": "요약",
        "plan": "계획",
        "expected_outcome": "기대 효과",
        "industry_domain": "automotive",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
        "items-0-offering": str(world.offering.pk),
        "items-0-quantity": "2",
        "items-0-starts_on": call.service_starts_on.isoformat(),
        "items-0-ends_on": call.service_ends_on.isoformat(),
        "claim-gwangju_located-claimed": "on",
        "claim-gwangju_located-details": "광주 본사",
        "claim-relocating-claimed": "on",
        "claim-relocating-details": "연구소 이전",
        "claim-relocating-relocation_target": "lab",
        "claim-relocating-relocation_planned_on": call.service_starts_on.isoformat(),
    }


# Fields the application form could be sent that a valid submission leaves out.
APPLICATION_EXTRA_FIELDS = (
    "submit",
    "items-1-offering",
    "items-1-quantity",
    "items-1-starts_on",
    "items-1-ends_on",
    "claim-cluster_participant-claimed",
    "claim-cluster_participant-details",
)


@HOSTILE
@given(data=st.data())
def test_the_application_form_with_its_resources_claims_and_files_never_fails(world, data):
    form = data.draw(spoiled(application_form(world), APPLICATION_EXTRA_FIELDS))
    for field in ("business_certificate", "claim-gwangju_located-evidence", "claim-relocating-evidence"):
        if data.draw(st.booleans()):
            form[field] = data.draw(uploads)

    assert_answered(send(world, "owner", "POST", f"/applications/{world.draft.pk}/edit/", form))


@HOSTILE
@given(reason=hostile_value)
def test_withdrawing_never_fails(world, reason):
    assert_answered(send(world, "owner", "POST", f"/applications/{world.draft.pk}/withdraw/", {"reason": reason}))


@HOSTILE
@given(data=st.data())
def test_submitting_and_downloading_with_hostile_ids_never_fails(world, data):
    pk = quote(data.draw(st.one_of(st.sampled_from(["0", "-1", "99999999999999999999", "1e3"]), st.text(max_size=30))))
    path = data.draw(
        st.sampled_from(
            [
                f"/applications/{pk}/",
                f"/applications/{pk}/submit/",
                f"/applications/{pk}/certificate/",
                f"/claims/{pk}/evidence/",
                f"/organisations/{pk}/",
                f"/calls/{pk}/",
            ]
        )
    )

    assert_answered(send(world, "owner", data.draw(st.sampled_from(["GET", "POST"])), path))


# --- The reviewer's decision page ----------------------------------------------------------------


@HOSTILE
@given(data=st.data())
def test_the_decision_page_never_fails(world, data):
    item = world.submitted.items.get()
    decision = {
        "decision": "approve_partial",
        "reason": "예산 범위 내 부분 승인",
        f"grant_{item.pk}": "2",
        "conflict_note": "",
    }
    form = data.draw(spoiled(decision, ("grant_999999",)))
    if data.draw(st.booleans()):
        form["decision"] = data.draw(st.sampled_from(["approve", "approve_partial", "waitlist", "reject", "conflict"]))

    assert_answered(
        send(world, "reviewer", "POST", f"/admin/applications/application/{world.submitted.pk}/decide/", form)
    )


@HOSTILE
@given(data=st.data())
def test_reviewing_a_claim_never_fails(world, data):
    form = data.draw(spoiled({"verdict": "rejected", "note": "증빙 불충분"}))
    path = f"/admin/applications/application/{world.submitted.pk}/claims/{world.claim.pk}/review/"

    assert_answered(send(world, "reviewer", "POST", path, form))


@HOSTILE
@given(data=st.data())
def test_the_bulk_decision_never_fails(world, data):
    form = data.draw(
        spoiled(
            {
                "action": "reject_selected",
                "_selected_action": [str(world.submitted.pk)],
                "index": "0",
                "confirm": "1",
                "reason": "중복",
            }
        )
    )

    assert_answered(send(world, "reviewer", "POST", "/admin/applications/application/", form))


# --- Query strings ---------------------------------------------------------------------------------


@HOSTILE
@given(data=st.data())
def test_the_review_queue_filters_and_search_never_fail(world, data):
    query = data.draw(
        spoiled(
            {"q": "123-45-67890", "call__id__exact": str(world.decided_call.pk), "status__exact": "submitted"},
            ("claim_kind", "o", "p", "organization__region__exact", "purpose__exact", "all", "e"),
        )
    )

    assert_answered(send(world, "reviewer", "GET", "/admin/applications/application/", query))


@HOSTILE
@given(data=st.data())
def test_the_dashboard_filters_and_exports_never_fail(world, data):
    query = data.draw(spoiled({"call": str(world.call.pk), "start": "2031-01-01", "end": "2031-03-31"}))
    path = data.draw(st.sampled_from(["/ops/", "/ops/export/capacity.csv", "/ops/export/waitlist.csv"]))

    assert_answered(send(world, "operator", "GET", path, query))


# --- Accounts ------------------------------------------------------------------------------------


@HOSTILE
@given(data=st.data())
def test_the_account_forms_never_fail(world, data):
    path, valid = data.draw(
        st.sampled_from(
            [
                ("/accounts/login/", {"login": "applicant@example.kr", "password": "wrong-password"}),
                (
                    "/accounts/signup/",
                    {
                        "email": "new@example.kr",
                        "password1": "a-long-passphrase-42",
                        "password2": "a-long-passphrase-42",
                        "agree_terms": "on",
                        "agree_privacy": "on",
                    },
                ),
                ("/accounts/password/reset/", {"email": "applicant@example.kr"}),
                ("/i18n/setlang/", {"language": "en", "next": "/calls/"}),
            ]
        )
    )

    assert_answered(send(world, "anonymous", "POST", path, data.draw(spoiled(valid))))


# --- What PostgreSQL refuses: NUL characters and ids that are not ids ----------------------------
# (SQLite stores a NUL, PostgreSQL raises; portal.nul_characters refuses it before any view, on
# both: tests/security/test_nul_characters.py posts one to every URL.)

NUL = "광주\x00본사"


ACTION = {"action": "reject_selected", "index": "0", "confirm": "1", "reason": "중복"}


def refused_request(world, case: str) -> tuple[str, str, dict]:
    """(role, path, POST body) of each case."""
    decide = f"/admin/applications/application/{world.submitted.pk}/decide/"
    review = f"/admin/applications/application/{world.submitted.pk}/claims/{world.claim.pk}/review/"
    return {
        "withdrawal-reason": ("owner", f"/applications/{world.draft.pk}/withdraw/", {"reason": NUL}),
        "project-title": ("owner", f"/applications/{world.draft.pk}/edit/", {"project_title": NUL}),
        "organisation-name": ("owner", "/organisations/new/", {**organization_form(world), "legal_name": NUL}),
        "invited-address": ("owner", f"/organisations/{world.organization.pk}/invite/", {"email": f"a{NUL}@x.kr"}),
        "conflict-note": ("reviewer", decide, {"decision": "conflict", "conflict_note": NUL}),
        "decision-reason": ("reviewer", decide, {"decision": "reject", "reason": NUL}),
        "claim-review-note": ("reviewer", review, {"verdict": "rejected", "note": NUL}),
        "selected-ids": (
            "reviewer",
            "/admin/applications/application/",
            {**ACTION, "_selected_action": ["", "9" * 30]},
        ),
        "negative-id": (
            "operator",
            "/admin/allocations/allocation/",
            {**ACTION, "action": "revoke", "_selected_action": "-1"},
        ),
    }[case]


NUL_CASES = [
    "withdrawal-reason",
    "project-title",
    "organisation-name",
    "invited-address",
    "conflict-note",
    "decision-reason",
    "claim-review-note",
]


@pytest.mark.parametrize("case", NUL_CASES)
def test_nul_characters_are_refused_before_any_form_and_change_nothing(world, case):
    from tests.security.patterns import writes_besides_the_access_log

    role, path, data = refused_request(world, case)
    with transaction.atomic():
        client = Client()
        client.force_login(world.user(role))
        before = writes_besides_the_access_log()
        response = client.post(path, data)
        written = writes_besides_the_access_log() != before
        transaction.set_rollback(True)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not written


@pytest.mark.parametrize("case", ["selected-ids", "negative-id"])
def test_malformed_ids_are_refused_with_a_message_and_change_nothing(world, case):
    from tests.security.patterns import writes_besides_the_access_log

    role, path, data = refused_request(world, case)
    with transaction.atomic():
        client = Client()
        client.force_login(world.user(role))
        before = writes_besides_the_access_log()
        response = client.post(path, data, follow=True)
        # (Sent back to the decision page, which records that it was shown.)
        written = writes_besides_the_access_log() != before
        transaction.set_rollback(True)

    assert response.status_code == 200
    assert not written
    assert list(response.context["messages"]) or response.context["form"].errors


def test_an_invitation_token_with_a_nul_character_is_not_found(world):
    assert send(world, "outsider", "POST", f"/invitations/{quote(world.invitation.token + chr(0))}/") == 404


def _registered_admins():
    from django.contrib import admin

    registered = sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)
    return [pytest.param(model, model_admin, id=model._meta.label) for model, model_admin in registered]


@pytest.mark.parametrize(("model", "model_admin"), _registered_admins())
def test_every_admin_the_libraries_included_drops_malformed_ids_before_an_action(
    client, superuser, model, model_admin, rf
):
    """Every ModelAdmin on the site, Django's and allauth's too: a crafted id that is not a
    number, or past a bigint, selects nothing instead of failing in the action's queryset."""
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.urls import reverse

    request = rf.get("/")
    request.user = superuser
    actions = list(model_admin.get_actions(request))
    action = actions[0] if actions else "delete_selected"  # without actions the post is ignored
    client.force_login(superuser)
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = client.post(
        changelist, {"action": action, "index": "0", ACTION_CHECKBOX_NAME: ["1x", "9" * 30, ""]}, follow=True
    )

    assert response.status_code == 200
    if actions:
        assert list(response.context["messages"])  # "No items selected" or the action's own answer


@pytest.mark.parametrize("parameter", ["status__exact", "organization__region__exact", "purpose__exact", "q"])
def test_a_nul_character_in_a_query_string_is_refused_not_a_server_error(world, parameter):
    # Found by the fuzzing above on PostgreSQL: a list filter compared a text column with NUL.
    assert send(world, "reviewer", "GET", "/admin/applications/application/", {parameter: "a\x00b"}) == 400
