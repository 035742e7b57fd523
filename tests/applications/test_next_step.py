"""What the applicant's pages say comes next once an application is approved: it follows the
allocations (being provisioned, active, no longer active), on the status page and the list."""

import pytest
from django.urls import reverse

from allocations.models import Allocation
from allocations.services import decisions, provisioning, release
from applications.models import Membership
from tests.allocations.conftest import make_call, submitted_application
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BEING_PROVISIONED = "Selected. Your resources are being provisioned."
ACTIVE = "Selected. Your resources are active."
ENDED = "Selected. None of your allocations is active any more."


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def approved(applicant, gpu_pool, storage_pool):
    """The applicant's application, approved for GPUs and storage: two pending allocations."""
    application = submitted_application(make_call(gpu_pool, storage_pool), (gpu_pool, 2), (storage_pool, 10))
    MembershipFactory(organization=application.organization, user=applicant, role=Membership.Role.OWNER)
    decisions.application_approve(actor=None, application=application)
    return application


def pages(client, applicant, application) -> tuple[str, str]:
    client.force_login(applicant)
    detail = client.get(reverse("application_detail", args=[application.pk])).content.decode()
    listing = client.get(reverse("application_list")).content.decode()
    return detail, listing


def allocations_of(application) -> list[Allocation]:
    return list(Allocation.objects.filter(application_item__application=application).order_by("pk"))


def test_while_any_allocation_is_provisioned_it_says_so(client, applicant, approved):
    gpus, _storage = allocations_of(approved)
    provisioning.allocation_provision(allocation_id=gpus.pk)

    detail, listing = pages(client, applicant, approved)

    assert BEING_PROVISIONED in detail and BEING_PROVISIONED in listing


def test_once_every_allocation_is_active_it_no_longer_says_being_provisioned(client, applicant, approved):
    for allocation in allocations_of(approved):
        provisioning.allocation_provision(allocation_id=allocation.pk)

    detail, listing = pages(client, applicant, approved)

    assert BEING_PROVISIONED not in detail and BEING_PROVISIONED not in listing
    assert ACTIVE in detail and ACTIVE in listing


def test_when_nothing_is_active_any_more_it_says_so(client, applicant, approved):
    for allocation in allocations_of(approved):
        active = provisioning.allocation_provision(allocation_id=allocation.pk)
        release.allocation_release(actor=None, allocation=active, to_state="revoked", reason="Ended early.")

    detail, _listing = pages(client, applicant, approved)

    assert ENDED in detail
    assert BEING_PROVISIONED not in detail
