import pytest
from django.contrib.auth.models import Group

from allocations.services import decisions
from applications import services
from applications.models import ClaimReview, ConflictOfInterest, Membership, PriorityClaim
from tests.allocations.conftest import make_call, submitted_application
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed(gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    for kind in ("gwangju_located", "cluster_participant"):
        PriorityClaim.objects.create(application=application, kind=kind)
    services.priority_recompute(application)
    return application


def test_a_submitted_applications_claims_wait_for_verification(claimed):
    assert (claimed.priority_score, claimed.priority_pending) == (0, 40)


def test_verifying_a_claim_adds_its_points_and_rejecting_one_removes_them(claimed, reviewer):
    gwangju = claimed.claims.get(kind="gwangju_located")
    cluster = claimed.claims.get(kind="cluster_participant")

    services.claim_review(actor=reviewer, claim=gwangju, verdict="verified", note="lease checked")
    services.claim_review(actor=reviewer, claim=cluster, verdict="rejected", note="not on the list")

    claimed.refresh_from_db()
    assert (claimed.priority_score, claimed.priority_pending) == (30, 0)
    assert list(ClaimReview.objects.values_list("verdict", "actor__email")) == [
        ("verified", reviewer.email),
        ("rejected", reviewer.email),
    ]


def test_a_rejection_needs_a_note(claimed, reviewer):
    with pytest.raises(services.ApplicationError):
        services.claim_review(actor=reviewer, claim=claimed.claims.first(), verdict="rejected", note="")


def test_changing_the_policy_rescores_the_calls_applications(claimed, reviewer):
    services.claim_review(actor=reviewer, claim=claimed.claims.get(kind="gwangju_located"), verdict="verified")

    services.priority_policy_set(actor=None, call=claimed.call, points={"gwangju_located": 100})

    claimed.refresh_from_db()
    assert (claimed.priority_score, claimed.priority_pending) == (100, 10)


def test_someone_without_the_right_to_decide_cannot_verify_or_decide(claimed):
    staff_without_group = make_user("clerk@operator.kr", is_staff=True)

    with pytest.raises(services.NotAllowed):
        services.claim_review(actor=staff_without_group, claim=claimed.claims.first(), verdict="verified")
    with pytest.raises(services.NotAllowed):
        decisions.application_approve(actor=staff_without_group, application=claimed)


def test_a_reviewer_who_is_a_member_of_the_organisation_cannot_decide(claimed, reviewer):
    Membership.objects.create(organization=claimed.organization, user=reviewer)

    with pytest.raises(services.NotAllowed):
        decisions.application_approve(actor=reviewer, application=claimed)

    claimed.refresh_from_db()
    assert claimed.status == "submitted"


def test_a_declared_conflict_of_interest_blocks_the_decision(claimed, reviewer):
    services.conflict_declare(actor=reviewer, organization=claimed.organization, note="former employer")
    other_reviewer = make_user("second@operator.kr", is_staff=True, group="Reviewers")

    with pytest.raises(services.NotAllowed):
        decisions.application_reject(actor=reviewer, application=claimed, reason="no")
    decisions.application_waitlist(actor=other_reviewer, application=claimed, reason="pool full")

    assert ConflictOfInterest.objects.get().note == "former employer"
    claimed.refresh_from_db()
    assert claimed.status == "waitlisted"


def test_deciding_never_needs_a_superuser(claimed, reviewer):
    assert not reviewer.is_superuser
    assert reviewer.groups.get() == Group.objects.get(name="Reviewers")

    decisions.application_approve(actor=reviewer, application=claimed)
