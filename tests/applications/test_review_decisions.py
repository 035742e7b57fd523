"""The reviewer's decisions in the admin: the decision page, claim reviews, bulk actions and
filling a call by priority. Each goes through the services; a refusal is a message, never a 500."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.messages import ERROR, SUCCESS, WARNING, get_messages
from django.urls import reverse
from django.utils import timezone

from allocations.models import Allocation
from allocations.services import decisions
from applications import services
from applications.models import Application, ApplicationTransition, ClaimReview, ConflictOfInterest, PriorityClaim
from outbox.models import OutboxMessage
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application
from tests.conftest import make_user
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:applications_application_changelist")
T0 = timezone.now() - timedelta(days=1)


@pytest.fixture
def application(gpu_pool, storage_pool):
    """Submitted, asking for 4 GPUs and 30 TB over the whole service period."""
    return submitted_application(make_call(gpu_pool, storage_pool), (gpu_pool, 4), (storage_pool, 30))


@pytest.fixture
def staff_without_role(db):
    return make_user("staff@operator.kr", is_staff=True)


def decide_url(application) -> str:
    return reverse("admin:applications_application_decide", args=[application.pk])


def review_url(claim) -> str:
    return reverse("admin:applications_application_claim_review", args=[claim.application_id, claim.pk])


def fill_url(call) -> str:
    return reverse("admin:applications_call_fill_by_priority", args=[call.pk])


def grants(application, **by_offering_name) -> dict:
    """The decision form's granted quantities: as requested, except those named (``Storage=0``)."""
    return {
        f"grant_{item.pk}": by_offering_name.get(item.offering.name.replace(" ", "_"), item.quantity)
        for item in application.items.select_related("offering")
    }


def messages_of(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def levels(response) -> list[int]:
    return [level for level, _text in messages_of(response)]


def with_score(application: Application, score: int) -> Application:
    Application.objects.filter(pk=application.pk).update(priority_score=score)
    application.priority_score = score
    return application


def status_of(application) -> str:
    application.refresh_from_db(fields=["status"])
    return application.status


# --- The decision page ---------------------------------------------------------------------------


def test_the_decision_page_shows_the_organisation_the_plan_and_the_documents(client, reviewer, application):
    claim = PriorityClaim.objects.create(
        application=application,
        kind=PriorityClaim.Kind.GWANGJU_LOCATED,
        details="본사 광주",
        evidence="e/x.pdf",
        evidence_name="본사 임대차계약서.pdf",
    )
    Application.objects.filter(pk=application.pk).update(
        business_certificate="c/x.pdf", business_certificate_name="사업자등록증.pdf", summary="<b>요약</b>"
    )
    client.force_login(reviewer)

    response = client.get(decide_url(application))

    assert response.status_code == 200
    page = response.content.decode()
    organization = application.organization
    assert organization.legal_name in page
    assert organization.registration_number_display in page
    assert reverse("application_certificate", args=[application.pk]) in page
    assert reverse("claim_evidence", args=[claim.pk]) in page
    assert review_url(claim) in page
    assert "&lt;b&gt;요약&lt;/b&gt;" in page
    # The files by the names the applicant's files had, not the stored ones.
    certificate = reverse("application_certificate", args=[application.pk])
    assert f'<a href="{certificate}" download>사업자등록증.pdf</a>' in page
    assert f'<a href="{reverse("claim_evidence", args=[claim.pk])}" download>본사 임대차계약서.pdf</a>' in page
    record = client.get(reverse("admin:applications_application_change", args=[application.pk])).content.decode()
    assert f'<a href="{certificate}" download>사업자등록증.pdf</a>' in record


def test_a_reviewer_approves_in_full(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(decide_url(application), {"decision": "approve", **grants(application)})

    assert response.status_code == 302
    assert response["Location"].startswith(QUEUE)
    assert status_of(application) == Application.Status.APPROVED
    assert sorted(Allocation.objects.values_list("offering__name", "quantity")) == [("A100 GPU", 4), ("Storage", 30)]
    assert application.transitions.get(to_status="approved").actor == reviewer
    assert levels(response) == [SUCCESS]


def test_after_a_decision_the_reviewer_returns_to_the_filtered_queue(client, reviewer, application):
    client.force_login(reviewer)
    filters = f"status__exact=submitted&call__id__exact={application.call_id}"

    queue = client.get(QUEUE + "?" + filters).content.decode()
    assert "_changelist_filters=" in queue
    response = client.post(
        decide_url(application) + "?" + urlencode({"_changelist_filters": filters}),
        {"decision": "waitlist"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(QUEUE + "?")
    assert "status__exact=submitted" in response["Location"]


def test_a_reviewer_approves_partially_with_a_reason(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(
        decide_url(application),
        {"decision": "approve_partial", "reason": "GPU is scarce", **grants(application, A100_GPU=2, Storage=0)},
    )

    assert response.status_code == 302
    assert status_of(application) == Application.Status.APPROVED
    assert list(Allocation.objects.values_list("offering__name", "quantity")) == [("A100 GPU", 2)]
    assert application.transitions.get(to_status="approved").reason == "GPU is scarce"


def test_a_partial_approval_without_a_reason_is_refused_and_changes_nothing(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(decide_url(application), {"decision": "approve_partial", **grants(application, A100_GPU=2)})

    assert response.status_code == 200
    assert levels(response) == [ERROR]
    assert status_of(application) == Application.Status.SUBMITTED
    assert not Allocation.objects.exists()


def test_a_grant_above_the_request_is_refused_with_a_message(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(
        decide_url(application), {"decision": "approve_partial", "reason": "r", **grants(application, A100_GPU=9)}
    )

    assert response.status_code == 200
    assert levels(response) == [ERROR]
    assert not Allocation.objects.exists()


def test_a_reviewer_wait_lists(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(decide_url(application), {"decision": "waitlist", "reason": "Later"})

    assert response.status_code == 302
    assert status_of(application) == Application.Status.WAITLISTED
    assert not Allocation.objects.exists()


def test_a_reviewer_rejects_with_a_reason_and_not_without(client, reviewer, application):
    client.force_login(reviewer)

    refused = client.post(decide_url(application), {"decision": "reject", "reason": "  "})
    assert refused.status_code == 200
    assert levels(refused) == [ERROR]
    assert status_of(application) == Application.Status.SUBMITTED

    response = client.post(decide_url(application), {"decision": "reject", "reason": "Out of scope"})
    assert response.status_code == 302
    assert status_of(application) == Application.Status.REJECTED
    assert application.transitions.get(to_status="rejected").reason == "Out of scope"


def test_deciding_an_application_already_decided_is_a_message_not_an_error(client, reviewer, application):
    decisions.application_reject(actor=reviewer, application=application, reason="No")
    client.force_login(reviewer)

    for decision in ("approve", "waitlist", "reject", "approve_partial", "nonsense"):
        response = client.post(decide_url(application), {"decision": decision, "reason": "r", **grants(application)})
        assert response.status_code == 200
        assert levels(response) == [ERROR]
    assert status_of(application) == Application.Status.REJECTED


def test_an_approval_that_does_not_fit_is_a_message_and_changes_nothing(client, reviewer, gpu_pool, storage_pool):
    call = make_call(gpu_pool, storage_pool)
    decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 8)))
    application = submitted_application(call, (gpu_pool, 4))
    client.force_login(reviewer)

    response = client.post(decide_url(application), {"decision": "approve", **grants(application)})

    assert response.status_code == 200
    assert levels(response) == [ERROR]
    assert "A100 GPU" in messages_of(response)[0][1]
    assert status_of(application) == Application.Status.SUBMITTED


def test_the_capacity_preview_shows_free_capacity_now_and_after_the_grant(client, reviewer, gpu_pool, storage_pool):
    call = make_call(gpu_pool, storage_pool)
    decisions.application_approve(actor=reviewer, application=submitted_application(call, (gpu_pool, 3)))
    # Another grant over the last month only: the period's tightest day is in it.
    decisions.application_approve(
        actor=reviewer,
        application=submitted_application(call, (gpu_pool, 2, SERVICE_END - timedelta(days=30), SERVICE_END)),
    )
    fits = submitted_application(call, (gpu_pool, 4), (storage_pool, 30))
    too_big = submitted_application(call, (gpu_pool, 8))
    client.force_login(reviewer)

    rows = client.get(decide_url(fits)).context["item_rows"]
    assert [(r["item"].offering.name, r["free"], r["after"], r["fits"]) for r in rows] == [
        ("A100 GPU", 5, 1, True),
        ("Storage", 100, 70, True),
    ]
    assert rows[0]["tightest_day"] >= SERVICE_END - timedelta(days=30)

    response = client.get(decide_url(too_big))
    [row] = response.context["item_rows"]
    assert (row["free"], row["after"], row["fits"]) == (5, -3, False)
    assert 'class="free-after">-3' in response.content.decode()

    # After a refused partial grant, the preview follows the entered quantities.
    response = client.post(decide_url(fits), {"decision": "approve_partial", **grants(fits, A100_GPU=1, Storage=10)})
    assert [(r["free"], r["after"]) for r in response.context["item_rows"]] == [(5, 4), (100, 90)]


def test_verifying_and_rejecting_a_claim_changes_the_score_and_the_rank(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    first = submitted_application(call, (gpu_pool, 1), submitted_at=T0)
    second = submitted_application(call, (gpu_pool, 1), submitted_at=T0 + timedelta(hours=1))
    claim = PriorityClaim.objects.create(application=second, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    services.priority_recompute(second)
    client.force_login(reviewer)

    def ranks():
        rows = client.get(QUEUE, {"call__id__exact": call.pk}).context["cl"].result_list
        return {row.pk: (row.rank, row.priority_score, row.priority_pending) for row in rows}

    assert ranks() == {first.pk: (1, 0, 0), second.pk: (2, 0, 30)}

    response = client.post(review_url(claim), {"verdict": "verified"})
    assert response.status_code == 302
    assert response["Location"].startswith(decide_url(second))
    assert ranks() == {first.pk: (2, 0, 0), second.pk: (1, 30, 0)}

    refused = client.post(review_url(claim), {"verdict": "rejected", "note": ""})
    assert levels(refused) == [ERROR]
    assert ranks()[second.pk] == (1, 30, 0)

    client.post(review_url(claim), {"verdict": "rejected", "note": "Head office is in Seoul"})
    assert ranks() == {first.pk: (1, 0, 0), second.pk: (2, 0, 0)}
    assert list(ClaimReview.objects.values_list("verdict", "actor")) == [
        ("verified", reviewer.pk),
        ("rejected", reviewer.pk),
    ]
    history = client.get(reverse("admin:applications_application_change", args=[second.pk])).content.decode()
    # Once as the claim's current note, once in the claim-review history with its reviewer.
    assert history.count("Head office is in Seoul") == 2
    assert history.count(str(reviewer)) >= 2


def test_a_claim_review_is_posted_only(client, reviewer, application):
    claim = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.RELOCATING)
    client.force_login(reviewer)

    assert client.get(review_url(claim)).status_code == 405


def test_the_change_page_links_to_the_decision_and_shows_allocations(client, reviewer, application):
    decisions.application_approve(actor=reviewer, application=application)
    client.force_login(reviewer)

    page = client.get(reverse("admin:applications_application_change", args=[application.pk])).content.decode()

    assert decide_url(application) in page
    assert reverse("admin:allocations_allocation_change", args=[Allocation.objects.first().pk]) in page


# --- Who may decide ------------------------------------------------------------------------------


def test_staff_without_the_decide_permission_get_403_and_decide_nothing(
    client, staff_without_role, operator, application
):
    claim = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.RELOCATING)
    for user in (staff_without_role, operator):
        client.force_login(user)

        assert client.get(decide_url(application)).status_code == 403
        assert client.post(decide_url(application), {"decision": "approve"}).status_code == 403
        assert client.post(review_url(claim), {"verdict": "verified"}).status_code == 403
        assert client.get(fill_url(application.call)).status_code == 403
        assert client.post(fill_url(application.call)).status_code == 403

    client.force_login(staff_without_role)
    bulk = {"action": "approve_selected", "_selected_action": [application.pk], "confirm": "yes"}
    assert client.post(QUEUE, bulk).status_code == 403
    client.force_login(operator)
    client.post(QUEUE, bulk)  # not among the operator's actions: "No action selected"

    assert status_of(application) == Application.Status.SUBMITTED
    assert PriorityClaim.objects.get().verification == "pending"
    assert not Allocation.objects.exists()


def test_an_applicant_is_sent_to_log_in(client, applicant, application):
    claim = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.RELOCATING)
    client.force_login(applicant)

    for response in (
        client.get(decide_url(application)),
        client.post(decide_url(application), {"decision": "approve"}),
        client.post(review_url(claim), {"verdict": "verified"}),
        client.post(QUEUE, {"action": "approve_selected", "_selected_action": [application.pk], "confirm": "yes"}),
        client.post(fill_url(application.call)),
    ):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "login" in response["Location"]
    assert status_of(application) == Application.Status.SUBMITTED
    assert not Allocation.objects.exists()


def test_a_reviewer_who_belongs_to_the_organisation_cannot_decide(client, reviewer, application):
    MembershipFactory(organization=application.organization, user=reviewer)
    claim = PriorityClaim.objects.create(application=application, kind=PriorityClaim.Kind.RELOCATING)
    client.force_login(reviewer)

    page = client.get(decide_url(application))
    assert page.context["refusal"]
    response = client.post(decide_url(application), {"decision": "approve"})
    review = client.post(review_url(claim), {"verdict": "verified"})

    assert response.status_code == 200
    assert levels(response) == [ERROR]
    assert levels(review) == [ERROR]
    assert status_of(application) == Application.Status.SUBMITTED
    assert PriorityClaim.objects.get().verification == "pending"


def test_a_reviewer_who_declares_a_conflict_can_no_longer_decide(client, reviewer, application):
    client.force_login(reviewer)

    declared = client.post(
        decide_url(application), {"decision": "conflict", "conflict_note": "Former employer"}, follow=True
    )
    assert declared.redirect_chain[0][0].startswith(QUEUE)
    assert levels(declared) == [WARNING]
    conflict = ConflictOfInterest.objects.get()
    assert (conflict.reviewer, conflict.organization, conflict.note) == (
        reviewer,
        application.organization,
        "Former employer",
    )

    response = client.post(decide_url(application), {"decision": "approve"})
    assert response.status_code == 200
    assert levels(response) == [ERROR]
    assert status_of(application) == Application.Status.SUBMITTED


# --- Bulk actions --------------------------------------------------------------------------------


def test_a_bulk_approval_asks_for_confirmation_first(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(QUEUE, {"action": "approve_selected", "_selected_action": [application.pk]})

    assert response.status_code == 200
    assert application.organization.legal_name in response.content.decode()
    assert 'name="confirm"' in response.content.decode()
    assert f'name="_selected_action" value="{application.pk}"' in response.content.decode()
    assert status_of(application) == Application.Status.SUBMITTED


def test_a_bulk_approval_stops_granting_when_capacity_runs_out(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    first = with_score(submitted_application(call, (gpu_pool, 4), submitted_at=T0), 30)
    second = with_score(submitted_application(call, (gpu_pool, 4), submitted_at=T0), 20)
    third = with_score(submitted_application(call, (gpu_pool, 4), submitted_at=T0), 10)
    client.force_login(reviewer)

    response = client.post(
        QUEUE,
        {"action": "approve_selected", "_selected_action": [third.pk, first.pk, second.pk], "confirm": "yes"},
    )

    assert response.status_code == 302
    assert [status_of(a) for a in (first, second, third)] == ["approved", "approved", "submitted"]
    notes = messages_of(response)
    assert [level for level, _text in notes] == [SUCCESS, SUCCESS, ERROR]
    assert third.organization.legal_name in notes[2][1]
    assert "A100 GPU" in notes[2][1]


def test_a_bulk_approval_grants_in_one_batch(client, reviewer, gpu_pool, django_capture_on_commit_callbacks):
    call = make_call(gpu_pool)
    applications = [submitted_application(call, (gpu_pool, 1), submitted_at=T0) for _ in range(3)]
    for application in applications:
        MembershipFactory(organization=application.organization)
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            QUEUE,
            {"action": "approve_selected", "_selected_action": [a.pk for a in applications], "confirm": "yes"},
        )

    assert levels(response) == [SUCCESS] * 3
    assert [status_of(a) for a in applications] == ["approved"] * 3
    # One transaction: one provisioning message for the three allocations, a decision e-mail each.
    assert sorted(OutboxMessage.objects.values_list("task", flat=True)) == [
        "allocations.provision_allocations",
        *["notifications.deliver"] * 3,
    ]
    assert len([callback for callback in callbacks if "enqueue_on_commit" in callback.__qualname__]) == 1 + 3


def test_a_bulk_rejection_needs_a_reason(client, reviewer, application, gpu_pool):
    other = submitted_application(application.call, (gpu_pool, 1))
    client.force_login(reviewer)
    selected = {"action": "reject_selected", "_selected_action": [application.pk, other.pk], "confirm": "yes"}

    refused = client.post(QUEUE, selected)
    assert refused.status_code == 200
    assert levels(refused) == [ERROR]
    assert [status_of(application), status_of(other)] == ["submitted", "submitted"]

    response = client.post(QUEUE, {**selected, "reason": "Outside the programme"})
    assert response.status_code == 302
    assert [status_of(application), status_of(other)] == ["rejected", "rejected"]
    assert set(ApplicationTransition.objects.filter(to_status="rejected").values_list("reason", flat=True)) == {
        "Outside the programme"
    }


def test_a_bulk_wait_listing_reports_each_application(client, reviewer, application, gpu_pool):
    rejected = submitted_application(application.call, (gpu_pool, 1))
    decisions.application_reject(actor=reviewer, application=rejected, reason="No")
    client.force_login(reviewer)

    response = client.post(
        QUEUE, {"action": "waitlist_selected", "_selected_action": [application.pk, rejected.pk], "confirm": "yes"}
    )

    assert response.status_code == 302
    assert [status_of(application), status_of(rejected)] == ["waitlisted", "rejected"]
    assert sorted(levels(response)) == sorted([SUCCESS, ERROR])


def test_a_bulk_decision_skips_an_organisation_the_reviewer_has_a_conflict_with(
    client, reviewer, application, gpu_pool
):
    other = submitted_application(application.call, (gpu_pool, 1))
    services.conflict_declare(actor=reviewer, organization=other.organization)
    client.force_login(reviewer)

    client.post(QUEUE, {"action": "approve_selected", "_selected_action": [application.pk, other.pk], "confirm": "y"})

    assert [status_of(application), status_of(other)] == ["approved", "submitted"]


# --- Fill by priority ----------------------------------------------------------------------------


@pytest.fixture
def queue_of_five(gpu_pool):
    """10 GPUs; the call selects 3. In rank order: 4 GPUs, 8 (does not fit after the first),
    3, 2, 1. Filling approves the 1st, 3rd and 4th, then stops at the selection target."""
    call = make_call(gpu_pool, selection_target=3)
    sizes_and_scores = [(4, 60), (8, 50), (3, 40), (2, 30), (1, 30)]
    return call, [
        with_score(submitted_application(call, (gpu_pool, size), submitted_at=T0 + timedelta(minutes=n)), score)
        for n, (size, score) in enumerate(sizes_and_scores)
    ]


def test_the_fill_preview_shows_the_plan_and_writes_nothing(client, reviewer, queue_of_five):
    call, (first, too_big, third, fourth, fifth) = queue_of_five
    client.force_login(reviewer)

    response = client.get(fill_url(call))

    assert response.status_code == 200
    assert [(a.pk, a.rank) for a in response.context["approve"]] == [(first.pk, 1), (third.pk, 3), (fourth.pk, 4)]
    assert [(a.pk, a.rank) for a, _shortfalls in response.context["skipped"]] == [(too_big.pk, 2)]
    assert [(offering.name, free) for offering, free in response.context["remaining"]] == [("A100 GPU", 1)]
    assert response.context["selection_left"] == 0
    assert too_big.organization.legal_name in response.content.decode()
    assert not Allocation.objects.exists()
    assert not ApplicationTransition.objects.exists()
    assert set(Application.objects.values_list("status", flat=True)) == {"submitted"}


def test_filling_by_priority_approves_the_top_that_fit_up_to_the_selection_target(client, reviewer, queue_of_five):
    call, (first, too_big, third, fourth, fifth) = queue_of_five
    client.force_login(reviewer)
    plan = client.get(fill_url(call)).context["plan_digest"]

    response = client.post(fill_url(call), {"plan": plan})

    assert response.status_code == 302
    assert [status_of(a) for a in (first, too_big, third, fourth, fifth)] == [
        "approved",
        "submitted",
        "approved",
        "approved",
        "submitted",
    ]
    assert levels(response) == [SUCCESS, SUCCESS, SUCCESS]
    assert sum(Allocation.objects.values_list("quantity", flat=True)) == 9


def test_the_call_page_links_to_fill_by_priority_for_reviewers_only(client, reviewer, operator, queue_of_five):
    call, _applications = queue_of_five
    change = reverse("admin:applications_call_change", args=[call.pk])

    client.force_login(reviewer)
    assert fill_url(call) in client.get(change).content.decode()
    client.force_login(operator)
    assert fill_url(call) not in client.get(change).content.decode()


def test_the_period_used_by_the_preview_is_the_items_own(client, reviewer, gpu_pool):
    call = make_call(gpu_pool)
    application = submitted_application(call, (gpu_pool, 4, SERVICE_START, SERVICE_START + timedelta(days=9)))
    client.force_login(reviewer)

    [row] = client.get(decide_url(application)).context["item_rows"]

    assert (row["item"].starts_on, row["free"]) == (SERVICE_START, 10)
