"""Every URL pattern of the project, requested by every kind of user with real object ids, GET and
POST, answers as ``access_table.py`` says; a pattern that is not in the table fails.

Each request runs in a savepoint that is rolled back, so every request meets the same world, and
the rows written to the database are counted: a refused request must write nothing. A row of the
personal-data access log (``accesslog``) is counted apart: a page that shows staff an applicant's
data records it (LOGGED), and nothing else may.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve, reverse

from tests.security.access_table import (
    ACCESS,
    ADMIN_LOGIN,
    DENIED,
    DONE,
    HIDDEN,
    INVALID,
    LOGGED,
    LOGIN,
    NO_METHOD,
    OK,
    PRECONDITION,
    REDIRECT,
    REFUSED,
    ROLES,
    UNAUTHENTICATED,
    answer,
)
from tests.security.patterns import access_log_rows, key_of, project_url_patterns, writes_besides_the_access_log

pytestmark = pytest.mark.django_db

PATTERNS = project_url_patterns()
METHODS = ("GET", "POST")


def classify(response, path: str, changed: bool, logged: bool = False) -> str:
    """The access table's name for what happened (``logged``: it wrote access-log rows, and
    ``changed``: it wrote anything else)."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"])
        back = parse_qs(location.query).get("next")
        if location.path == reverse("account_login") and back is not None:
            answer = LOGIN if back == [path] else f"{LOGIN} (next={back})"
        elif location.path == reverse("admin:login"):
            answer = ADMIN_LOGIN if back == [path] else f"{ADMIN_LOGIN} (next={back})"
        else:
            answer = DONE if changed else REDIRECT
    elif changed and status in (200, 201, 204):
        answer = DONE  # the API answers a change with its result, not a redirect
    else:
        answer = {
            200: OK,
            400: INVALID,
            401: UNAUTHENTICATED,
            403: DENIED,
            404: HIDDEN,
            405: NO_METHOD,
            409: REFUSED,
            428: PRECONDITION,
        }.get(status, str(status))
    if logged and answer == OK:
        answer = LOGGED
    elif logged and answer != DONE:
        answer += " and recorded a personal-data access"
    if changed and answer != DONE:
        answer += " and changed the database"
    return answer


def perform(world, key: str, role: str, method: str) -> str:
    """Request the table's URL of ``key`` as ``role``; the answer, in the table's words."""
    entry = ACCESS[key]
    path = entry.path.format(**world.objects)
    try:
        with transaction.atomic():
            client = Client()
            if (user := world.user(role)) is not None:
                client.force_login(user)
            before, records_before = writes_besides_the_access_log(), access_log_rows()
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, entry.data(world) if entry.data else {})
            recorded = access_log_rows() - records_before
            changed = writes_besides_the_access_log() != before
            transaction.set_rollback(True)
    except Exception as error:  # a server error is an answer too, and the table never expects it
        return f"500 ({type(error).__name__}: {error})"
    return classify(response, path, changed, logged=recorded > 0)


def test_every_url_pattern_of_the_project_has_an_entry_in_the_access_table():
    missing = [pattern.key for pattern in PATTERNS if pattern.key not in ACCESS]

    assert missing == [], (
        "URL patterns without an entry in tests/security/access_table.py (decide who may use them "
        f"and add them): {missing}"
    )


def test_every_entry_of_the_access_table_is_a_url_pattern_its_path_resolves_to(world):
    keys = {pattern.key for pattern in PATTERNS}
    stale = sorted(set(ACCESS) - keys)
    wrong = {
        key: key_of(resolve(urlsplit(path).path))
        for key, entry in ACCESS.items()
        if key in keys and key_of(resolve(urlsplit(path := entry.path.format(**world.objects)).path)) != key
    }

    assert stale == [], f"entries for URL patterns that no longer exist: {stale}"
    assert wrong == {}, f"entries whose path resolves to another pattern: {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_answers_of_the_access_table(world, role):
    mismatches = []
    for pattern in PATTERNS:
        if pattern.key not in ACCESS:
            mismatches.append(f"{pattern.key}: no entry in the access table")
            continue
        for method in METHODS:
            expected = answer(pattern.key, role, method)
            actual = perform(world, pattern.key, role, method)
            if actual != expected:
                mismatches.append(f"{method} {pattern.key}: expected {expected}, got {actual}")

    assert mismatches == [], f"{role}:\n  " + "\n  ".join(mismatches)


def test_the_classification_tells_a_refusal_from_a_change(world, client):
    """The matrix could not fail if every answer looked alike: an owner's edit of their
    organisation changes it, the same POST by an outsider changes nothing."""
    assert perform(world, "organization_edit", "owner", "POST") == DONE
    assert perform(world, "organization_edit", "outsider", "POST") == HIDDEN
    assert perform(world, "organization_edit", "anonymous", "POST") == LOGIN
    assert perform(world, "admin:applications_call_add", "reviewer", "GET") == DENIED
    assert perform(world, "admin:applications_call_add", "owner", "GET") == ADMIN_LOGIN
    assert perform(world, "application_submit", "owner", "GET") == NO_METHOD
    assert perform(world, "home", "anonymous", "GET") == OK
    assert perform(world, "account_login", "owner", "GET") == REDIRECT
    # Staff downloading an applicant's certificate is recorded; its owner downloading it is not.
    assert perform(world, "application_certificate", "reviewer", "GET") == LOGGED
    assert perform(world, "application_certificate", "owner", "GET") == OK
