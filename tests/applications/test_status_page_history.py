"""What the applicant's status page says of who decided: the operator, never a staff account;
staff reading the same page see the account. And why a rejected claim earns no points."""

import pytest
from django.urls import reverse

from allocations.services import decisions
from applications import services
from applications.models import Membership, PriorityClaim
from tests.allocations.conftest import make_call, submitted_application
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

OPERATOR = "AI Industry Convergence Business Group"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def decided(applicant, reviewer, gpu_pool):
    """The applicant's application: submitted by the applicant, one claim rejected with a note,
    then rejected by the reviewer."""
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 1))
    MembershipFactory(organization=application.organization, user=applicant, role=Membership.Role.OWNER)
    application.transitions.create(actor=applicant, from_status="draft", to_status="submitted")
    claim = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    services.claim_review(
        actor=reviewer, claim=claim, verdict="rejected", note="The lease names a branch in 경기도 광주시."
    )
    verified = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.CLUSTER_PARTICIPANT)
    services.claim_review(actor=reviewer, claim=verified, verdict="verified", note="internal: checked by phone")
    decisions.application_reject(actor=reviewer, application=application, reason="The pool is full this round.")
    return application


def status_page(client, user, application) -> str:
    client.force_login(user)
    response = client.get(reverse("application_detail", args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_applicant_sees_the_operator_decide_never_the_reviewers_account(client, applicant, reviewer, decided):
    page = status_page(client, applicant, decided)

    assert reviewer.email not in page
    assert OPERATOR in page
    assert "The pool is full this round." in page  # the reason stays
    assert applicant.email in page  # their own submission, by their own account


def test_staff_reading_the_status_page_keep_the_reviewers_account(client, reviewer, decided):
    page = status_page(client, reviewer, decided)

    assert reviewer.email in page


def test_the_applicant_reads_why_a_claim_was_rejected_and_not_the_note_on_a_verified_one(client, applicant, decided):
    page = status_page(client, applicant, decided)

    assert "The lease names a branch in 경기도 광주시." in page
    assert "internal: checked by phone" not in page


def test_a_decision_by_an_account_no_longer_staff_is_still_the_operators(client, applicant, reviewer, decided):
    reviewer.is_staff = False
    reviewer.save(update_fields=["is_staff"])

    page = status_page(client, applicant, decided)

    assert reviewer.email not in page
