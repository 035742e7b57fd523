"""The API's frame: a token reaches an endpoint, its absence is a 401 problem, lists are paged."""

from tests.api.conftest import assert_problem
from tests.factories import CallFactory


def test_a_token_lists_the_open_calls(applicant_api):
    call = CallFactory()

    response = applicant_api.get("/api/v1/calls/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["id"] for row in body["results"]] == [call.pk]
    assert set(body) == {"next", "previous", "results"}


def test_no_credentials_is_a_401_problem_with_a_bearer_challenge(client, db):
    response = client.get("/api/v1/calls/")

    body = assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert body["instance"] == "/api/v1/calls/"
