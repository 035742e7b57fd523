"""GET /api/v1/staff/offerings/ and /offerings/<id>/capacity/: the pool's figures per day."""

from datetime import timedelta

import pytest

from allocations.services import decisions
from tests.allocations.conftest import SERVICE_START
from tests.api.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_capacity_per_day_shows_what_is_reserved_and_free(reviewer, operator_api, ranked, gpu_pool):
    decisions.application_approve(actor=reviewer, application=ranked[0])
    day_before = SERVICE_START - timedelta(days=1)

    response = operator_api.get(
        f"/api/v1/staff/offerings/{gpu_pool.pk}/capacity/",
        {"starts_on": day_before.isoformat(), "ends_on": SERVICE_START.isoformat()},
    )

    assert response.status_code == 200, response.content
    assert response.json()["days"] == [
        {"day": day_before.isoformat(), "capacity": 10, "reserved": 0, "free": 10},
        {"day": SERVICE_START.isoformat(), "capacity": 10, "reserved": 4, "free": 6},
    ]


def test_a_period_longer_than_a_year_is_a_400(operator_api, gpu_pool):
    body = assert_problem(
        operator_api.get(
            f"/api/v1/staff/offerings/{gpu_pool.pk}/capacity/", {"starts_on": "2031-01-01", "ends_on": "2032-06-01"}
        ),
        400,
    )
    assert set(body["errors"]) == {"ends_on"}


def test_the_offerings_are_listed(reviewer_api, gpu_pool, storage_pool):
    response = reviewer_api.get("/api/v1/staff/offerings/")

    assert {row["id"] for row in response.json()["results"]} == {gpu_pool.pk, storage_pool.pk}
