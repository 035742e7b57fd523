"""Deletes never take decided or allocated records with them.

A call, an offering or an organisation with applications, allocations or their history below it
cannot be deleted (``on_delete=PROTECT``), and neither can an application, an allocation or a
change request with history: the admin refuses with one message naming what protects it, never
a 500 and never a silent cascade. What may go with its parent is only what nobody decided: a
call's offerings and points, an offering's phases, an organisation's members and invitations.
"""

from collections.abc import Iterator

import pytest
from django.contrib.messages import ERROR, get_messages
from django.db.models import CASCADE, Model, ProtectedError
from django.urls import reverse

from aftercare.models import ChangeRequest, ChangeRequestTransition, Report, SurveyInvitation, SurveyResponse
from allocations.models import Allocation, AllocationTransition, ProvisionedResource
from allocations.services import decisions
from applications.models import Application, ApplicationTransition, Call, ClaimReview, Organization, PriorityClaim
from applications.services import claim_review
from evaluation.models import (
    Assignment,
    AssignmentTransition,
    Objection,
    ObjectionTransition,
    Score,
    StageResult,
    StageTransition,
)
from pool.models import CapacityLedger, Offering
from tests.allocations.conftest import make_call, make_pool, submitted_application

# Decided or allocated records and their history: kept whatever is deleted above them.
KEPT = {
    Application,
    ApplicationTransition,
    ClaimReview,
    Allocation,
    AllocationTransition,
    ProvisionedResource,
    CapacityLedger,
    ChangeRequest,
    ChangeRequestTransition,
    Report,
    SurveyInvitation,
    SurveyResponse,
    # A panel's work: what evaluators were given and scored, the results, the objections.
    Assignment,
    AssignmentTransition,
    Score,
    StageResult,
    StageTransition,
    Objection,
    ObjectionTransition,
}
# What an operator or a superuser may try to delete, and what the ORM might be asked to.
ROOTS = [Call, Offering, Organization, Application, Allocation, ChangeRequest, PriorityClaim]


def cascades(model: type[Model], path: tuple[str, ...] = ()) -> Iterator[tuple[type[Model], tuple[str, ...]]]:
    """Every model a delete of ``model`` removes along with it, with the path of relations."""
    for relation in model._meta.related_objects:
        if relation.on_delete is not CASCADE:
            continue
        child = relation.related_model
        step = (*path, f"{model.__name__} -> {child.__name__}.{relation.field.name}")
        yield child, step
        yield from cascades(child, step)


@pytest.mark.parametrize("root", ROOTS, ids=lambda model: model.__name__)
def test_no_delete_cascades_to_a_decided_record_or_its_history(root):
    reached = [" / ".join(path) for model, path in cascades(root) if model in KEPT]

    assert reached == []


@pytest.fixture
def decided(reviewer, gpu_pool):
    """A call with one application approved (4 GPUs), a claim rejected, and one rejected."""
    call = make_call(gpu_pool)
    approved = submitted_application(call, (gpu_pool, 4))
    decisions.application_approve(actor=reviewer, application=approved)
    rejected = submitted_application(call, (gpu_pool, 1))
    claim = PriorityClaim.objects.create(application=rejected, kind=PriorityClaim.Kind.GWANGJU_LOCATED)
    claim_review(actor=reviewer, claim=claim, verdict="rejected", note="not in Gwangju")
    decisions.application_reject(actor=reviewer, application=rejected, reason="no")
    return call, approved, rejected


def refused_message(response) -> str:
    shown = [(message.level, str(message)) for message in get_messages(response.wsgi_request)]
    [(level, text)] = shown
    assert level == ERROR
    return text


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.mark.django_db
def test_the_orm_refuses_to_delete_a_rejected_application_and_its_history(decided):
    _call, _approved, rejected = decided

    with pytest.raises(ProtectedError):
        rejected.delete()

    assert ApplicationTransition.objects.filter(application=rejected).exists()
    assert ClaimReview.objects.filter(claim__application=rejected).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_a_decided_call_in_the_admin_is_refused_with_one_message(client, superuser, decided, method):
    call, approved, rejected = decided
    client.force_login(superuser)
    change = reverse("admin:applications_call_change", args=[call.pk])

    response = getattr(client, method)(reverse("admin:applications_call_delete", args=[call.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == change
    text = refused_message(response)
    assert str(call) in text
    assert "applications: 2" in text
    assert Call.objects.filter(pk=call.pk).exists()
    assert Application.objects.count() == 2


@pytest.mark.django_db
def test_deleting_an_allocated_offering_in_the_admin_names_the_allocations(client, superuser, decided, gpu_pool):
    client.force_login(superuser)

    response = client.post(reverse("admin:pool_offering_delete", args=[gpu_pool.pk]), {"post": "yes"})

    assert response.status_code == 302
    text = refused_message(response)
    assert "allocations: 1" in text
    assert Offering.objects.filter(pk=gpu_pool.pk).exists()


@pytest.mark.django_db
def test_deleting_an_organisation_that_applied_in_the_admin_is_refused(client, superuser, decided):
    _call, approved, _rejected = decided
    client.force_login(superuser)

    response = client.post(
        reverse("admin:applications_organization_delete", args=[approved.organization_id]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert "applications: 1" in refused_message(response)
    assert Organization.objects.filter(pk=approved.organization_id).exists()


@pytest.mark.django_db
def test_a_bulk_delete_that_reaches_a_decided_record_deletes_nothing_and_says_why(client, superuser, decided):
    call, _approved, _rejected = decided
    unused = make_call(make_pool(5, name="Unused"))
    client.force_login(superuser)

    response = client.post(
        reverse("admin:applications_call_changelist"),
        {"action": "delete_selected", "_selected_action": [call.pk, unused.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert "applications: 2" in refused_message(response)
    assert Call.objects.filter(pk__in=[call.pk, unused.pk]).count() == 2


@pytest.mark.django_db
def test_what_nobody_decided_is_still_deleted_as_before(client, superuser):
    unused = make_call(make_pool(5, name="Unused"))
    client.force_login(superuser)
    url = reverse("admin:applications_call_delete", args=[unused.pk])

    assert client.get(url).status_code == 200  # Django's own confirmation
    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Call.objects.filter(pk=unused.pk).exists()
    bulk = make_call(make_pool(5, name="Unused too"))
    confirmation = client.post(
        reverse("admin:applications_call_changelist"), {"action": "delete_selected", "_selected_action": [bulk.pk]}
    )
    assert confirmation.status_code == 200
    client.post(
        reverse("admin:applications_call_changelist"),
        {"action": "delete_selected", "_selected_action": [bulk.pk], "post": "yes"},
    )
    assert not Call.objects.filter(pk=bulk.pk).exists()
