"""POST /api/v1/staff/applications/<id>/decision/: the engine's decisions, with its checks and refusals."""

import pytest

from accesslog.models import AccessRecord
from allocations.models import Allocation
from applications.models import Application, ConflictOfInterest, Membership
from tests.allocations.conftest import SERVICE_START
from tests.api.conftest import assert_problem
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def decide(client, application, **body):
    return client.post(f"/api/v1/staff/applications/{application.pk}/decision/", body, format="json")


def test_an_approval_in_full_allocates_every_item(reviewer_api, ranked):
    response = decide(reviewer_api, ranked[0], decision="approve")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    assert sorted((a["quantity"], a["state"]) for a in body["allocations"]) == [(4, "pending"), (10, "pending")]


def test_an_approval_in_part_grants_the_quantities_given_with_a_reason(reviewer_api, ranked):
    gpu_item, storage_item = ranked[0].items.order_by("pk")

    response = decide(
        reviewer_api,
        ranked[0],
        decision="approve",
        grants={str(gpu_item.pk): 2, str(storage_item.pk): 0},
        reason="일부",
    )

    assert response.status_code == 200, response.content
    assert list(Allocation.objects.values_list("application_item", "quantity")) == [(gpu_item.pk, 2)]


def test_a_partial_approval_without_a_reason_is_refused(reviewer_api, ranked):
    gpu_item = ranked[0].items.order_by("pk").first()

    body = assert_problem(decide(reviewer_api, ranked[0], decision="approve", grants={str(gpu_item.pk): 1}), 409)

    assert "reason" in body["detail"] or "사유" in body["detail"]
    assert not Allocation.objects.exists()


def test_a_grant_of_an_item_of_another_application_is_a_400(reviewer_api, ranked):
    other_item = ranked[1].items.get()

    body = assert_problem(decide(reviewer_api, ranked[0], decision="approve", grants={str(other_item.pk): 1}), 400)

    assert set(body["errors"]) == {"grants"}


def test_what_does_not_fit_is_a_409_naming_the_short_offering_and_day(reviewer_api, ranked, gpu_pool):
    assert decide(reviewer_api, ranked[0], decision="approve").status_code == 200  # 4 of 10 GPUs

    body = assert_problem(decide(reviewer_api, ranked[2], decision="approve"), 409, "does-not-fit")

    assert body["shortfalls"] == [
        {
            "offering": {"id": gpu_pool.pk, "name": gpu_pool.name},
            "wanted": 8,
            "free": 6,
            "day": SERVICE_START.isoformat(),
        }
    ]
    assert gpu_pool.name in body["detail"]
    ranked[2].refresh_from_db()
    assert ranked[2].status == Application.Status.SUBMITTED


def test_wait_list_and_reject_with_the_decision_in_the_history(reviewer, reviewer_api, ranked):
    waitlisted = decide(reviewer_api, ranked[0], decision="waitlist").json()
    rejected = decide(reviewer_api, ranked[1], decision="reject", reason="예산 초과").json()

    assert waitlisted["status"] == "waitlisted"
    assert rejected["status"] == "rejected"
    assert rejected["history"][-1] | {"at": None} == {
        "at": None,
        "actor": reviewer.email,
        "from_status": "submitted",
        "to_status": "rejected",
        "reason": "예산 초과",
    }


def test_a_rejection_without_a_reason_is_refused(reviewer_api, ranked):
    assert_problem(decide(reviewer_api, ranked[1], decision="reject"), 409)


def test_a_decided_application_cannot_be_decided_again(reviewer_api, ranked):
    decide(reviewer_api, ranked[1], decision="reject", reason="예산 초과")

    assert_problem(decide(reviewer_api, ranked[1], decision="approve"), 409)


def test_a_reviewer_with_a_conflict_of_interest_is_refused(reviewer, reviewer_api, ranked):
    ConflictOfInterest.objects.create(reviewer=reviewer, organization=ranked[0].organization, note="가족 회사")

    assert_problem(decide(reviewer_api, ranked[0], decision="approve"), 403, "not-allowed")
    assert not Allocation.objects.exists()


def test_a_reviewer_who_is_a_member_of_the_organisation_is_refused(reviewer, reviewer_api, ranked):
    MembershipFactory(organization=ranked[0].organization, user=reviewer, role=Membership.Role.MEMBER)

    assert_problem(decide(reviewer_api, ranked[0], decision="approve"), 403)


def test_an_operator_may_not_decide(operator_api, ranked):
    assert_problem(decide(operator_api, ranked[0], decision="approve"), 403)
    ranked[0].refresh_from_db()
    assert ranked[0].status == Application.Status.SUBMITTED


def test_the_record_shows_items_with_what_fits_and_is_recorded_as_staff_access(reviewer, reviewer_api, ranked):
    response = reviewer_api.get(f"/api/v1/staff/applications/{ranked[2].pk}/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(item["quantity"], item["free"], item["fits"]) for item in body["items"]] == [(8, 10, True)]
    record = AccessRecord.objects.get()
    assert (record.actor, record.object_id, record.path) == (
        reviewer,
        str(ranked[2].pk),
        f"/api/v1/staff/applications/{ranked[2].pk}/",
    )
