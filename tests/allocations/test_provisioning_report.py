"""An external provisioning system reports back (``allocations.backends.reported``): the engine
claims the allocation and waits; the report activates it or fails it, once, and only from the
state the report expects."""

import pytest

from allocations import ledger, tasks
from allocations.models import Allocation
from allocations.services import decisions, provisioning, release
from allocations.services.provisioning import FAILED, PROVISIONED, ReportRefused, allocation_provisioning_report
from pool import capacity
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application

pytestmark = pytest.mark.django_db

REPORTED = "allocations.backends.reported.ReportedProvisioner"


@pytest.fixture
def reported(settings):
    settings.PROVISIONER_BACKEND = REPORTED


@pytest.fixture
def claimed(reported, reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 4))
    (allocation,) = decisions.application_approve(actor=reviewer, application=application)
    return provisioning.allocation_provision(allocation_id=allocation.pk)


def history(allocation: Allocation) -> list[tuple[str, str, str | None]]:
    return [
        (t.from_state, t.to_state, t.actor.email if t.actor else None)
        for t in allocation.transitions.select_related("actor").order_by("pk")
    ]


def free_on_first_day(offering) -> int:
    return capacity.availability(offering.pk, SERVICE_START, SERVICE_END).free


def test_the_engine_claims_the_allocation_and_waits_for_the_report(claimed):
    assert claimed.state == Allocation.State.PROVISIONING
    assert claimed.external_ref == ""
    assert claimed.attempts == 1


def test_a_redriven_claim_waits_without_counting_an_attempt(claimed):
    tasks.provision_allocation.apply(args=[claimed.pk])
    tasks.provision_allocation.apply(args=[claimed.pk])

    claimed.refresh_from_db()
    assert claimed.state == Allocation.State.PROVISIONING
    assert claimed.attempts == 1
    assert claimed.transitions.count() == 2  # created, claimed


def test_a_provisioned_report_activates_the_allocation_in_the_reporters_name(claimed, operator):
    allocation, changed = allocation_provisioning_report(
        actor=operator,
        allocation_id=claimed.pk,
        outcome=PROVISIONED,
        expected_state="provisioning",
        external_ref=" openstack/project/42 ",
    )

    assert changed is True
    allocation.refresh_from_db()
    assert allocation.state == Allocation.State.ACTIVE
    assert allocation.external_ref == "openstack/project/42"
    assert history(allocation)[-1] == ("provisioning", "active", operator.email)
    assert ledger.ledger_drift() == []


def test_the_same_provisioned_report_again_changes_nothing(claimed, operator):
    report = dict(
        actor=operator, allocation_id=claimed.pk, outcome=PROVISIONED, expected_state="provisioning", external_ref="q/1"
    )
    allocation_provisioning_report(**report)
    transitions = claimed.transitions.count()

    allocation, changed = allocation_provisioning_report(**report)

    assert changed is False
    assert allocation.state == Allocation.State.ACTIVE
    assert claimed.transitions.count() == transitions


def test_a_provisioned_report_with_another_reference_after_activation_is_refused(claimed, operator):
    allocation_provisioning_report(
        actor=operator, allocation_id=claimed.pk, outcome=PROVISIONED, expected_state="provisioning", external_ref="q/1"
    )

    with pytest.raises(ReportRefused) as refused:
        allocation_provisioning_report(
            actor=operator,
            allocation_id=claimed.pk,
            outcome=PROVISIONED,
            expected_state="provisioning",
            external_ref="q/2",
        )

    assert refused.value.current_state == "active"
    claimed.refresh_from_db()
    assert claimed.external_ref == "q/1"


def test_a_report_expecting_another_state_is_refused_and_changes_nothing(claimed, operator):
    with pytest.raises(ReportRefused) as refused:
        allocation_provisioning_report(
            actor=operator, allocation_id=claimed.pk, outcome=PROVISIONED, expected_state="pending", external_ref="q/1"
        )

    assert refused.value.current_state == "provisioning"
    claimed.refresh_from_db()
    assert claimed.state == Allocation.State.PROVISIONING


def test_a_failure_report_fails_the_allocation_and_releases_its_capacity(claimed, operator, gpu_pool):
    before = free_on_first_day(gpu_pool)

    allocation, changed = allocation_provisioning_report(
        actor=operator, allocation_id=claimed.pk, outcome=FAILED, expected_state="provisioning", reason="no quota left"
    )

    assert changed is True
    assert allocation.state == Allocation.State.FAILED
    assert allocation.last_error == "no quota left"
    assert free_on_first_day(gpu_pool) == before + 4
    assert history(allocation)[-1] == ("provisioning", "failed", operator.email)
    again, changed_again = allocation_provisioning_report(
        actor=operator, allocation_id=claimed.pk, outcome=FAILED, expected_state="provisioning", reason="no quota left"
    )
    assert (again.state, changed_again) == (Allocation.State.FAILED, False)
    assert free_on_first_day(gpu_pool) == before + 4


def test_a_failure_report_needs_a_reason(claimed, operator):
    with pytest.raises(ReportRefused):
        allocation_provisioning_report(
            actor=operator, allocation_id=claimed.pk, outcome=FAILED, expected_state="provisioning", reason="  "
        )


def test_a_provisioned_report_needs_a_reference(claimed, operator):
    with pytest.raises(ReportRefused):
        allocation_provisioning_report(
            actor=operator, allocation_id=claimed.pk, outcome=PROVISIONED, expected_state="provisioning"
        )


def test_a_report_on_a_revoked_allocation_is_refused(claimed, operator):
    release.allocation_release(actor=operator, allocation=claimed, to_state=Allocation.State.REVOKED)

    with pytest.raises(ReportRefused) as refused:
        allocation_provisioning_report(
            actor=operator, allocation_id=claimed.pk, outcome=PROVISIONED, expected_state="revoked", external_ref="q/1"
        )

    assert refused.value.current_state == "revoked"


def test_a_failed_allocation_does_not_become_active_on_a_late_report(claimed, operator):
    allocation_provisioning_report(
        actor=operator, allocation_id=claimed.pk, outcome=FAILED, expected_state="provisioning", reason="timeout"
    )

    with pytest.raises(ReportRefused):
        allocation_provisioning_report(
            actor=operator, allocation_id=claimed.pk, outcome=PROVISIONED, expected_state="failed", external_ref="q/1"
        )
    claimed.refresh_from_db()
    assert claimed.state == Allocation.State.FAILED
