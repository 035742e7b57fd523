"""An award to follow up: a call over 2031-01-01 – 2031-03-31 (90 days), a 10-GPU pool, and the
applicant's organisation granted 4 GPUs for the whole period, provisioned and active."""

import pytest

from allocations.models import Allocation
from allocations.services import decisions, provisioning
from applications.models import Application, Membership
from tests.allocations.conftest import make_call, submitted_application
from tests.conftest import make_user
from tests.factories import MembershipFactory

GRANTED = 4


def grant(call, *requests) -> tuple[Application, list[Allocation]]:
    """Approve and provision a new organisation's application; its application and allocations."""
    application = submitted_application(call, *requests)
    allocations = decisions.application_approve(actor=None, application=application)
    return application, [provisioning.allocation_provision(allocation_id=allocation.pk) for allocation in allocations]


@pytest.fixture
def call(gpu_pool, storage_pool):
    return make_call(gpu_pool, storage_pool, max_per_application=8)


@pytest.fixture
def award(call, gpu_pool, applicant) -> Application:
    application, _allocations = grant(call, (gpu_pool, GRANTED))
    MembershipFactory(organization=application.organization, user=applicant, role=Membership.Role.OWNER)
    return application


@pytest.fixture
def allocation(award) -> Allocation:
    return Allocation.objects.get(application_item__application=award)


@pytest.fixture
def colleague(award):
    """A second member of the applicant's organisation, who reads e-mails in English."""
    from notifications.models import LanguagePreference

    user = make_user("colleague@example.kr")
    MembershipFactory(organization=award.organization, user=user, role=Membership.Role.MEMBER)
    LanguagePreference.objects.create(user=user, language="en")
    return user
