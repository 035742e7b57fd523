"""GET /api/v1/staff/calls/<id>/queue/: the call's ranking with the admin queue's columns and filters."""

import pytest

from applications.models import ConflictOfInterest, PriorityClaim
from tests.allocations.conftest import submitted_application
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def queue(client, call, **params):
    response = client.get(f"/api/v1/staff/calls/{call.pk}/queue/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_queue_lists_the_calls_applications_in_rank_order(reviewer_api, call, ranked):
    body = queue(reviewer_api, call)

    assert [row["id"] for row in body["results"]] == [application.pk for application in ranked]
    assert [row["rank"] for row in body["results"]] == [1, 2, 3]
    first = body["results"][0]
    assert first["requested_gpu_units"] == 4
    assert first["requested_storage_units"] == 10
    assert first["claims"] == {"verified": 0, "pending": 0, "rejected": 0}
    assert first["decidable"] is True
    assert first["refusal"] is None


def test_the_queue_is_paged_by_cursor_in_rank_order(reviewer_api, call, ranked):
    first = queue(reviewer_api, call, page_size=2)
    second = reviewer_api.get(first["next"]).json()

    assert [row["rank"] for row in first["results"] + second["results"]] == [1, 2, 3]
    assert second["next"] is None


def test_the_queue_filters_by_offering_and_claim(reviewer_api, call, ranked, storage_pool):
    PriorityClaim.objects.create(application=ranked[2], kind=PriorityClaim.Kind.GWANGJU_LOCATED, details="본사")

    assert [row["id"] for row in queue(reviewer_api, call, offering=storage_pool.pk)["results"]] == [ranked[0].pk]
    assert [row["id"] for row in queue(reviewer_api, call, claim_kind="gwangju_located")["results"]] == [ranked[2].pk]
    assert queue(reviewer_api, call, status="approved")["results"] == []


def test_an_unknown_filter_value_is_a_400_naming_the_field(reviewer_api, call, ranked):
    body = assert_problem(reviewer_api.get(f"/api/v1/staff/calls/{call.pk}/queue/", {"status": "draft"}), 400)

    assert set(body["errors"]) == {"status"}


def test_the_queue_says_which_the_reviewer_may_not_decide(reviewer, reviewer_api, call, ranked):
    ConflictOfInterest.objects.create(reviewer=reviewer, organization=ranked[1].organization, note="전 직장")

    rows = queue(reviewer_api, call)["results"]

    assert [row["refusal"] is not None for row in rows] == [False, True, False]


def test_a_page_costs_the_same_queries_with_3_or_60_applications(
    reviewer_api, call, ranked, gpu_pool, django_assert_max_num_queries
):
    queue(reviewer_api, call)  # the token's "last used" is written once a minute, not per page
    # The token, the second factor, the role's permissions (2), the call, the page, the refusals.
    with django_assert_max_num_queries(7) as small:
        queue(reviewer_api, call, page_size=50)
    for _ in range(57):
        submitted_application(call, (gpu_pool, 1))
    with django_assert_max_num_queries(len(small)):
        assert len(queue(reviewer_api, call, page_size=50)["results"]) == 50


def test_an_unknown_call_is_a_404_problem(reviewer_api, db):
    assert_problem(reviewer_api.get("/api/v1/staff/calls/999999/queue/"), 404)
