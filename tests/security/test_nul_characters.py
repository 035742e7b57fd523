"""A NUL character in anything posted is refused with a 400 before any view runs, never a
server error (security review, finding 12): PostgreSQL refuses a NUL in a text value, and two
views read ``request.POST`` themselves (a change request's withdrawal reason; the admin's
change-request decision fell back to the raw reason). ``portal.nul_characters`` holds the rule.

Every URL of the access table is posted to, URL-encoded and multipart, by the user who may
write there (the table's ``DONE``), with a NUL in a field's value or a field's name. Each request
runs in a savepoint that is rolled back, and must write nothing. Run it on PostgreSQL too
(``DATABASE_URL``), where a NUL reaching the database is a 500.
"""

import os
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.access_table import ACCESS, DONE, LOGGED, OK, ROLES, answer
from tests.security.patterns import writes_besides_the_access_log

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=int(os.environ.get("HOSTILE_INPUT_EXAMPLES", "25")) * 4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Paths with a placeholder the world does not fill (the admin's catch-all) are left to the table;
# /metrics is answered above every other middleware, reads no form and refuses a POST (405).
POSTED = sorted(key for key, entry in ACCESS.items() if "<" not in entry.path and key != "metrics")


def poster(key: str) -> str:
    """The role whose POST the table says is carried out (else answered), else the superuser."""
    for wanted in (DONE, OK, LOGGED):
        for role in ROLES:
            if answer(key, role, "POST") == wanted:
                return role
    return "superuser"


def valid_body(world, key: str) -> dict:
    entry = ACCESS[key]
    return dict(entry.data(world)) if entry.data else {"note": "메모"}


def with_nul(text: str, at: int) -> str:
    at = at % (len(text) + 1)
    return text[:at] + "\x00" + text[at:]


def post(world, key: str, body: dict, *, multipart: bool) -> tuple[int, bool]:
    """POST ``body`` to ``key``'s URL as its poster, in a rolled-back savepoint: (status, wrote?)."""
    path = ACCESS[key].path.format(**world.objects)
    with transaction.atomic():
        client = Client()
        if (user := world.user(poster(key))) is not None:
            client.force_login(user)
        before = writes_besides_the_access_log()
        if multipart:
            response = client.post(path, body)
        else:
            encoded = urlencode(body, doseq=True)
            response = client.post(path, encoded, content_type="application/x-www-form-urlencoded")
        wrote = writes_besides_the_access_log() != before
        transaction.set_rollback(True)
    return response.status_code, wrote


def refused(status: int, wrote: bool) -> bool:
    return status == 400 and not wrote


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_every_post_of_the_site_and_the_admin_refuses_a_nul_in_a_value(world, multipart):
    answers = {}
    for key in POSTED:
        body = valid_body(world, key)
        field = next(iter(body))
        body[field] = with_nul(str(body[field] if not isinstance(body[field], list) else body[field][0]), 1)
        answers[key] = post(world, key, body, multipart=multipart)

    assert {key: answer for key, answer in answers.items() if not refused(*answer)} == {}


@EXAMPLES
@given(data=st.data())
def test_any_text_with_a_nul_anywhere_in_a_post_is_refused_never_a_server_error(world, data):
    key = data.draw(st.sampled_from(POSTED), label="url")
    body = valid_body(world, key)
    text = with_nul(data.draw(st.text(max_size=60)), data.draw(st.integers(min_value=0, max_value=60)))
    where = data.draw(st.sampled_from(["value", "new field", "field name"]), label="where")
    multipart = data.draw(st.booleans(), label="multipart")
    if where == "value":
        body[data.draw(st.sampled_from(sorted(body)), label="field")] = text
    elif where == "new field":
        body[data.draw(st.text(min_size=1, max_size=20), label="name")] = text
    else:
        body[text] = "값"
    if multipart and data.draw(st.booleans(), label="with a file"):
        # (Django drops non-printable characters from an upload's name, a NUL included.)
        body["attachment"] = SimpleUploadedFile(text + ".pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")

    status, wrote = post(world, key, body, multipart=multipart)

    assert status == 400, f"POST {key} ({where}): {status}"
    assert not wrote


# --- The two views that read the posted reason themselves ------------------------------------------


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("change_request_withdraw", {"reason": "더 이상\x00필요 없음"}),
        ("admin:aftercare_changerequest_decide", {"decision": "reject", "reason": "자원\x00부족"}),
        # The decision form is invalid (no decision), and the view used to fall back to the raw reason.
        ("admin:aftercare_changerequest_decide", {"decision": "", "reason": "자원\x00부족"}),
    ],
)
def test_a_nul_in_a_change_request_reason_is_refused_and_nothing_is_decided(world, key, body):
    from aftercare.models import ChangeRequest

    status_before = ChangeRequest.objects.get(pk=world.change_request.pk).status

    assert post(world, key, body, multipart=False) == (400, False)
    assert ChangeRequest.objects.get(pk=world.change_request.pk).status == status_before


def test_a_nul_in_a_query_string_is_still_refused(world):
    client = Client()
    client.force_login(world.user("reviewer"))

    assert client.get("/admin/applications/application/", {"q": "a\x00b"}).status_code == 400


def test_a_post_without_a_nul_goes_through(world):
    # The rule refuses NUL alone: the same change-request withdrawal without one is carried out.
    status, wrote = post(world, "change_request_withdraw", {"reason": "더 이상 필요 없음"}, multipart=False)

    assert status == 302 and wrote
