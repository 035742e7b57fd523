from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from applications import services
from applications.models import Application, PriorityClaim
from tests.applications.conftest import complete, edit_form_data, pdf, post_draft, post_step
from tests.factories import ApplicationFactory, ApplicationItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complete_draft(applicant, organization, open_call, gpu, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    application = services.application_start(actor=applicant, call=open_call, organization=organization)
    return complete(application, gpu, 8)


def test_a_complete_draft_is_submitted_before_the_deadline(applicant, complete_draft):
    submitted = services.application_submit(actor=applicant, application=complete_draft)

    assert submitted.status == Application.Status.SUBMITTED
    assert submitted.submitted_at <= timezone.now()


def test_a_crafted_post_after_the_deadline_is_refused(client, applicant, complete_draft):
    client.force_login(applicant)
    after_deadline = complete_draft.call.deadline + timedelta(seconds=1)

    with time_machine.travel(after_deadline, tick=False):
        response = client.post(reverse("application_submit", args=[complete_draft.pk]))

    assert response.status_code == 302
    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.DRAFT
    assert complete_draft.submitted_at is None


def test_the_database_refuses_a_submission_whose_call_closed_even_if_the_clock_of_the_web_process_is_behind(
    applicant, complete_draft
):
    # The web process's clock says "before the deadline", the database's says "after": the
    # conditional UPDATE, evaluated with the database's NOW(), has the last word.
    call = complete_draft.call
    call.deadline = timezone.now() - timedelta(minutes=1)
    call.opens_at = call.deadline - timedelta(days=10)
    call.save()

    with time_machine.travel(call.deadline - timedelta(minutes=5), tick=False):
        with pytest.raises(services.DeadlinePassed):
            services.application_submit(actor=applicant, application=complete_draft)

    complete_draft.refresh_from_db()
    assert complete_draft.status == Application.Status.DRAFT


def test_a_second_application_of_the_same_organisation_to_the_same_call_is_refused_by_the_database(
    complete_draft,
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(organization=complete_draft.organization, call=complete_draft.call)


def test_starting_again_returns_the_existing_application(applicant, complete_draft):
    again = services.application_start(
        actor=applicant, call=complete_draft.call, organization=complete_draft.organization
    )

    assert again.pk == complete_draft.pk
    assert Application.objects.count() == 1


def test_a_quantity_above_the_calls_maximum_cannot_be_submitted(applicant, complete_draft, gpu):
    complete_draft.items.update(quantity=9)  # the call allows 8

    with pytest.raises(services.ApplicationIncomplete) as refused:
        services.application_submit(actor=applicant, application=complete_draft)

    assert len(refused.value.problems) == 1


def test_the_form_refuses_a_quantity_above_the_maximum_next_to_the_field(client, applicant, complete_draft, gpu):
    client.force_login(applicant)

    response = post_draft(client, complete_draft, edit_form_data(complete_draft.call, **{"items-0-quantity": "9"}))

    assert response.status_code == 200
    assert response.context["items"].forms[0].errors["quantity"] == ["신청당 최대 8 GPU까지 신청할 수 있습니다."]


def test_a_period_outside_the_service_period_cannot_be_submitted(applicant, complete_draft):
    complete_draft.items.update(ends_on=complete_draft.call.service_ends_on + timedelta(days=1))

    with pytest.raises(services.ApplicationIncomplete):
        services.application_submit(actor=applicant, application=complete_draft)


def test_an_offering_not_in_the_call_cannot_be_submitted(applicant, complete_draft):
    ApplicationItemFactory(application=complete_draft, offering__name="Quantum annealer")

    with pytest.raises(services.ApplicationIncomplete):
        services.application_submit(actor=applicant, application=complete_draft)


def test_a_claim_without_evidence_cannot_be_submitted(applicant, complete_draft):
    PriorityClaim.objects.create(application=complete_draft, kind=PriorityClaim.Kind.CLUSTER_PARTICIPANT)

    with pytest.raises(services.ApplicationIncomplete):
        services.application_submit(actor=applicant, application=complete_draft)


def test_a_submitted_application_is_read_only_even_for_a_crafted_post(client, applicant, complete_draft, gpu):
    services.application_submit(actor=applicant, application=complete_draft)
    client.force_login(applicant)

    for step in ("project", "resources", "priority", "documents"):
        response = post_step(client, complete_draft, step, {"project_title": "changed after submission"})
        assert response["Location"] == reverse("application_detail", args=[complete_draft.pk])
    response = client.post(reverse("application_submit", args=[complete_draft.pk]))
    assert response["Location"] == reverse("application_detail", args=[complete_draft.pk])

    complete_draft.refresh_from_db()
    assert complete_draft.project_title == "text"
    with pytest.raises(services.NotAllowed):
        services.application_update_draft(
            actor=applicant, application=complete_draft, fields={"plan": "x"}, items=[], claims=[]
        )


def test_submitting_twice_is_refused_the_second_time(applicant, complete_draft):
    services.application_submit(actor=applicant, application=complete_draft)

    with pytest.raises(services.NotAllowed):
        services.application_submit(actor=applicant, application=complete_draft)

    assert complete_draft.transitions.filter(to_status="submitted").count() == 1


def test_a_member_of_another_organisation_cannot_submit(other_org_applicant, complete_draft):
    with pytest.raises(services.NotAllowed):
        services.application_submit(actor=other_org_applicant, application=complete_draft)


def test_the_submission_stores_the_score_of_its_claims_under_the_calls_policy(applicant, complete_draft):
    PriorityClaim.objects.create(
        application=complete_draft, kind=PriorityClaim.Kind.CLUSTER_PARTICIPANT, evidence=pdf()
    )

    submitted = services.application_submit(actor=applicant, application=complete_draft)

    stored = Application.objects.get(pk=complete_draft.pk)
    # A claim counts once verified; until then its points are pending.
    assert (stored.priority_score, stored.priority_pending) == (0, 10)
    assert (submitted.priority_score, submitted.priority_pending) == (0, 10)
    assert stored.submitted_at == submitted.submitted_at


def test_the_submission_records_its_receipt_for_the_members(applicant, complete_draft):
    from notifications.models import Notification

    services.application_submit(actor=applicant, application=complete_draft)

    (receipt,) = Notification.objects.filter(kind=Notification.Kind.SUBMISSION_RECEIPT)
    assert receipt.recipient == applicant.email
    assert complete_draft.call.title in receipt.body or complete_draft.call.title in receipt.subject


def test_a_member_of_another_organisation_cannot_save_or_withdraw_the_draft(other_org_applicant, complete_draft):
    with pytest.raises(services.NotAllowed):
        services.application_update_draft(
            actor=other_org_applicant, application=complete_draft, fields={"plan": "x"}, items=[], claims=[]
        )
    with pytest.raises(services.NotAllowed):
        services.application_withdraw(actor=other_org_applicant, application=complete_draft)

    complete_draft.refresh_from_db()
    assert complete_draft.plan == "text" and complete_draft.status == Application.Status.DRAFT


def test_a_decided_application_cannot_be_withdrawn(applicant, organization, open_call):
    application = ApplicationFactory(
        organization=organization, call=open_call, status=Application.Status.APPROVED, submitted_at=timezone.now()
    )

    with pytest.raises(services.NotAllowed):
        services.application_withdraw(actor=applicant, application=application)


def test_an_application_cannot_be_started_for_a_closed_call(applicant, organization, open_call):
    open_call.deadline = timezone.now() - timedelta(hours=1)
    open_call.opens_at = open_call.deadline - timedelta(days=7)
    open_call.save()

    with pytest.raises(services.DeadlinePassed):
        services.application_start(actor=applicant, call=open_call, organization=organization)
