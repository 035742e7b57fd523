"""Personal API tokens: hashed at rest, scoped no wider than the user's rights, expiring,
revocable, their last use recorded at most once a minute."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Token
from api.services import TokenError, token_create, token_revoke
from portal.errors import NotAllowed
from tests.api.conftest import assert_problem
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def in_days(days: int):
    return timezone.now() + timedelta(days=days)


def test_the_table_holds_a_hash_and_never_the_token(applicant):
    _row, token = token_create(actor=applicant, name="CI", scopes={"read"}, expires_at=in_days(30))

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_token")
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()

    stored = " ".join(str(value) for row in rows for value in row)
    secret = token.rsplit("_", 1)[1]
    assert secret not in stored and token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in [row[columns.index("secret_hash")] for row in rows]


def test_a_token_authenticates_its_user(applicant, token_for):
    response = bearer(token_for(applicant)).get("/api/v1/organizations/")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer naidc_nope_nope", "Bearer", "Bearer a b", "Bearer naidc_", "Bearer \u00e9"],
)
def test_a_wrong_token_is_a_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/calls/")

    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_with_the_right_prefix_and_another_secret_is_refused(applicant):
    row, token = token_create(actor=applicant, name="CI", scopes={"read"}, expires_at=in_days(30))
    forged = f"naidc_{row.prefix}_{'A' * 43}"

    assert_problem(bearer(forged).get("/api/v1/calls/"), 401, "authentication-failed")


def test_an_expired_token_is_refused(applicant, token_for):
    token = token_for(applicant, days=1)

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = bearer(token).get("/api/v1/calls/")

    assert_problem(response, 401, "authentication-failed")


def test_a_revoked_token_is_refused_at_once(applicant):
    row, token = token_create(actor=applicant, name="CI", scopes={"read"}, expires_at=in_days(30))
    assert bearer(token).get("/api/v1/calls/").status_code == 200

    token_revoke(actor=applicant, token=row)

    assert_problem(bearer(token).get("/api/v1/calls/"), 401, "authentication-failed")


def test_a_deactivated_users_token_is_refused(applicant, token_for):
    token = token_for(applicant)
    applicant.is_active = False
    applicant.save()

    assert_problem(bearer(token).get("/api/v1/calls/"), 401)


def test_only_the_owner_revokes_a_token(applicant, other_org_applicant):
    row, _token = token_create(actor=applicant, name="CI", scopes={"read"}, expires_at=in_days(30))

    with pytest.raises(NotAllowed):
        token_revoke(actor=other_org_applicant, token=row)


def test_last_use_is_written_at_most_once_a_minute(applicant, django_assert_num_queries):
    row, token = token_create(actor=applicant, name="CI", scopes={"read"}, expires_at=in_days(30))
    client = bearer(token)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        client.get("/api/v1/calls/")
        first = Token.objects.get(pk=row.pk).last_used_at
        client.get("/api/v1/calls/")
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/calls/")
        assert Token.objects.get(pk=row.pk).last_used_at == first
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/calls/")
        assert Token.objects.get(pk=row.pk).last_used_at == start + timedelta(seconds=61)

    assert first == start


def test_a_request_within_the_minute_writes_nothing(applicant):
    from tests.security.patterns import database_writes

    _row, token = token_create(actor=applicant, name="CI", scopes={"read"}, expires_at=in_days(30))
    client = bearer(token)
    client.get("/api/v1/calls/")

    before = database_writes()
    client.get("/api/v1/calls/")

    assert database_writes() == before


# --- Scopes ---------------------------------------------------------------------------------------


def test_a_read_token_reads_but_does_not_write(applicant, api_client_for, open_call, organization):
    api = api_client_for(applicant, scopes=("read",))

    assert api.get("/api/v1/applications/").status_code == 200
    response = api.post("/api/v1/applications/", {"call": open_call.pk, "organization": organization.pk}, format="json")

    assert_problem(response, 403, "permission-denied")
    assert not organization.applications.exists()


def test_a_write_only_token_does_not_read(applicant, api_client_for):
    api = api_client_for(applicant, scopes=("write",))

    assert_problem(api.get("/api/v1/applications/"), 403, "permission-denied")


def test_an_applicant_cannot_have_the_staff_scope(applicant):
    with pytest.raises(NotAllowed):
        token_create(actor=applicant, name="x", scopes={"staff"}, expires_at=in_days(30))


def test_staff_need_their_second_factor_for_the_staff_scope(db):
    staff = make_user("new-staff@operator.kr", is_staff=True, second_factor=False)

    with pytest.raises(NotAllowed):
        token_create(actor=staff, name="x", scopes={"staff"}, expires_at=in_days(30))


def test_staff_with_a_second_factor_get_the_staff_scope(reviewer):
    row, _token = token_create(actor=reviewer, name="x", scopes={"read", "staff"}, expires_at=in_days(30))

    assert row.scopes == {"read", "staff"}


def test_a_staff_token_lives_at_most_30_days(reviewer):
    with pytest.raises(TokenError, match="30"):
        token_create(actor=reviewer, name="x", scopes={"read", "staff"}, expires_at=in_days(31))
    row, _token = token_create(actor=reviewer, name="x", scopes={"read"}, expires_at=in_days(90))

    assert row.scopes == {"read"}


def test_a_staff_token_loses_the_staff_scope_with_the_staff_status(reviewer):
    from api.services import effective_scopes

    row, _token = token_create(actor=reviewer, name="x", scopes={"read", "staff"}, expires_at=in_days(30))
    reviewer.is_staff = False
    reviewer.save()

    assert effective_scopes(Token.objects.select_related("user").get(pk=row.pk)) == {"read"}


@pytest.mark.parametrize(
    ("name", "scopes", "days", "error"),
    [
        ("", {"read"}, 30, TokenError),
        ("x", set(), 30, TokenError),
        ("x", {"admin"}, 30, TokenError),
        ("x", {"read"}, -1, TokenError),
        ("x", {"read"}, 366, TokenError),
    ],
)
def test_what_a_token_may_not_be(applicant, name, scopes, days, error):
    with pytest.raises(error):
        token_create(actor=applicant, name=name, scopes=scopes, expires_at=in_days(days))

    assert not Token.objects.exists()
