from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from allocations import ledger, selectors, tasks
from allocations.backends.modelled import ModelledCloudProvisioner
from allocations.models import Allocation, ProvisionedResource
from allocations.services import decisions, provisioning, release
from applications.models import Membership
from pool import capacity
from tests.allocations.conftest import SERVICE_END, SERVICE_START, make_call, submitted_application
from tests.factories import MembershipFactory
from tests.mailbox import deliver_queued

pytestmark = pytest.mark.django_db

PROVISIONED = [("", "pending"), ("pending", "provisioning"), ("provisioning", "active")]


def history(allocation: Allocation) -> list[tuple[str, str]]:
    return [(t.from_state, t.to_state) for t in allocation.transitions.all()]


@pytest.fixture
def approved(reviewer, gpu_pool):
    application = submitted_application(make_call(gpu_pool), (gpu_pool, 4))
    (allocation,) = decisions.application_approve(actor=reviewer, application=application)
    return allocation


def test_provisioning_makes_the_allocation_active_with_the_clouds_reference(approved):
    allocation = provisioning.allocation_provision(allocation_id=approved.pk)

    assert allocation.state == Allocation.State.ACTIVE
    assert allocation.external_ref == ProvisionedResource.objects.get(allocation=approved).external_ref
    assert history(allocation) == PROVISIONED


def test_the_provision_task_run_twice_leaves_the_same_end_state(approved):
    tasks.provision_allocation.apply(args=[approved.pk])
    tasks.provision_allocation.apply(args=[approved.pk])

    approved.refresh_from_db()
    assert approved.state == "active"
    assert ProvisionedResource.objects.filter(allocation=approved).count() == 1
    assert approved.transitions.filter(to_state="active").count() == 1


def test_a_transient_failure_is_retried_and_then_succeeds(approved, faulty_cloud):
    faulty_cloud.transient_failures = 1

    # apply() runs the retry in place of the broker's countdown.
    result = tasks.provision_allocation.apply(args=[approved.pk])

    approved.refresh_from_db()
    assert result.get() == "active"
    assert approved.state == "active" and approved.attempts == 2 and approved.last_error == ""


def test_when_attempts_run_out_the_allocation_fails_and_its_capacity_returns(
    approved, settings, gpu_pool, faulty_cloud
):
    faulty_cloud.transient_failures = 99
    settings.PROVISIONING_MAX_ATTEMPTS = 3

    tasks.provision_allocation.apply(args=[approved.pk])

    approved.refresh_from_db()
    assert approved.state == "failed" and approved.attempts == 3
    assert "3 attempts" in approved.last_error
    assert capacity.availability(gpu_pool.pk, SERVICE_START, SERVICE_END).free == 10


def test_a_permanent_refusal_fails_at_once(approved, faulty_cloud):
    faulty_cloud.always_fail = True

    allocation = provisioning.allocation_provision(allocation_id=approved.pk)

    assert allocation.state == "failed"
    assert not ProvisionedResource.objects.exists()


def test_revoking_returns_the_capacity_and_removes_the_quota(
    approved, gpu_pool, operator, django_capture_on_commit_callbacks
):
    provisioning.allocation_provision(allocation_id=approved.pk)

    with django_capture_on_commit_callbacks(execute=True):
        release.allocation_release(actor=operator, allocation=approved, to_state="revoked", reason="misuse")

    approved.refresh_from_db()
    assert approved.state == "revoked"
    assert ProvisionedResource.objects.get(allocation=approved).deprovisioned_at is not None
    assert capacity.availability(gpu_pool.pk, SERVICE_START, SERVICE_END).free == 10
    assert approved.transitions.get(to_state="revoked").actor == operator


def test_allocations_expire_after_their_last_day(approved, gpu_pool):
    provisioning.allocation_provision(allocation_id=approved.pk)
    with time_machine.travel(SERVICE_END, tick=False):
        assert tasks.expire_allocations.apply().get() == 0
    with time_machine.travel(SERVICE_END + timedelta(days=1), tick=False):
        assert tasks.expire_allocations.apply().get() == 1
        assert tasks.expire_allocations.apply().get() == 0

    approved.refresh_from_db()
    assert approved.state == "expired"
    assert capacity.availability(gpu_pool.pk, SERVICE_START, SERVICE_END).free == 10


def test_the_sweeper_finds_allocations_stuck_in_pending_or_provisioning(approved, settings):
    settings.PROVISIONING_STUCK_AFTER_SECONDS = 60
    assert list(selectors.allocations_stuck()) == []
    with time_machine.travel(approved.state_changed_at + timedelta(minutes=2)):
        assert list(selectors.allocations_stuck()) == [approved]


def test_expiry_reminders_go_out_once_30_7_and_1_days_before_the_end(approved, applicant):
    provisioning.allocation_provision(allocation_id=approved.pk)
    MembershipFactory(organization=approved.organization, user=applicant, role=Membership.Role.OWNER)
    sent_on = []
    day = SERVICE_END - timedelta(days=40)
    while day <= SERVICE_END:
        with time_machine.travel(day, tick=False):
            before = len(mail.outbox)
            tasks.send_expiry_reminders.apply()
            tasks.send_expiry_reminders.apply()  # a second run the same day sends nothing
            deliver_queued()
            if len(mail.outbox) > before:
                assert len(mail.outbox) == before + 1
                sent_on.append((SERVICE_END - day).days)
        day += timedelta(days=1)

    assert sent_on == [30, 7, 1]
    assert mail.outbox[0].to == [applicant.email]


def test_check_capacity_is_clean_then_reports_drift_with_exit_status_1(approved, capsys):
    from django.core.management.base import CommandError
    from django.db import connection

    call_command("check_capacity")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE allocations_capacityledger SET reserved = reserved - 1 WHERE offering_id = %s AND day = %s",
            [approved.offering_id, date(2031, 2, 1)],
        )

    with pytest.raises(CommandError) as failure:
        call_command("check_capacity")

    assert failure.value.returncode == 1
    assert "2031-02-01" in capsys.readouterr().err
    assert len(ledger.ledger_drift()) == 1


def test_the_applicant_sees_the_granted_quantity_and_the_active_allocation(client, approved, applicant):
    MembershipFactory(organization=approved.organization, user=applicant, role=Membership.Role.OWNER)
    allocation = provisioning.allocation_provision(allocation_id=approved.pk)
    client.force_login(applicant)

    page = client.get(reverse("application_detail", args=[approved.application_item.application_id])).content.decode()

    assert "allocation-active" in page
    assert allocation.external_ref in page


class RevokedWhileProvisioning(ModelledCloudProvisioner):
    """The operator revokes the allocation while the backend is still creating its quota."""

    def provision(self, allocation):
        release.allocation_release(actor=None, allocation=allocation, to_state="revoked", reason="revoked meanwhile")
        return super().provision(allocation)


def test_a_quota_created_after_its_allocation_was_revoked_is_removed(
    approved, settings, django_capture_on_commit_callbacks
):
    settings.PROVISIONER_BACKEND = f"{__name__}.RevokedWhileProvisioning"

    with django_capture_on_commit_callbacks(execute=True):
        allocation = provisioning.allocation_provision(allocation_id=approved.pk)

    assert allocation.state == "revoked"
    assert ProvisionedResource.objects.get(allocation=approved).deprovisioned_at is not None


class RemoteCloud(ModelledCloudProvisioner):
    """A backend outside the portal's database (OpenStack, Kubernetes, Slurm): the engine calls it
    between the claim's transaction and the activation's."""

    shares_portal_database = False


def test_a_backend_outside_the_portals_database_is_called_between_claim_and_activation(approved, settings):
    settings.PROVISIONER_BACKEND = f"{__name__}.RemoteCloud"

    allocation = provisioning.allocation_provision(allocation_id=approved.pk)

    assert allocation.state == Allocation.State.ACTIVE
    assert allocation.external_ref == ProvisionedResource.objects.get(allocation=approved).external_ref
    assert history(allocation) == PROVISIONED


class DiesAfterMakingTheQuota(ModelledCloudProvisioner):
    """The worker dies after the modelled cloud wrote its quota, before the activation."""

    def provision(self, allocation):
        super().provision(allocation)
        raise RuntimeError("worker lost")


def test_a_crash_while_the_modelled_cloud_provisions_rolls_the_whole_attempt_back(approved, settings):
    settings.PROVISIONER_BACKEND = f"{__name__}.DiesAfterMakingTheQuota"

    with pytest.raises(RuntimeError):
        provisioning.allocation_provision(allocation_id=approved.pk)

    # The claim, the quota and the activation are one transaction in the portal's database.
    approved.refresh_from_db()
    assert (approved.state, approved.attempts) == (Allocation.State.PENDING, 0)
    assert not ProvisionedResource.objects.filter(allocation=approved).exists()
    assert history(approved) == [("", "pending")]

    settings.PROVISIONER_BACKEND = "allocations.backends.modelled.ModelledCloudProvisioner"
    allocation = provisioning.allocation_provision(allocation_id=approved.pk)  # what the sweeper's re-drive runs

    assert (allocation.state, allocation.attempts) == (Allocation.State.ACTIVE, 1)
    assert ProvisionedResource.objects.filter(allocation=approved).count() == 1
    assert history(allocation) == PROVISIONED


class RemoteCloudDying(RemoteCloud):
    def provision(self, allocation):
        raise RuntimeError("worker lost")


def test_a_crash_while_a_remote_cloud_provisions_leaves_the_claim_for_the_sweeper(approved, settings):
    settings.PROVISIONER_BACKEND = f"{__name__}.RemoteCloudDying"

    with pytest.raises(RuntimeError):
        provisioning.allocation_provision(allocation_id=approved.pk)

    # The remote call cannot be rolled back, so the claim was committed before it.
    approved.refresh_from_db()
    assert (approved.state, approved.attempts) == (Allocation.State.PROVISIONING, 1)

    settings.PROVISIONER_BACKEND = f"{__name__}.RemoteCloud"
    allocation = provisioning.allocation_provision(allocation_id=approved.pk)

    assert (allocation.state, allocation.attempts) == (Allocation.State.ACTIVE, 2)
    assert history(allocation) == PROVISIONED


# --- An approval's batch, provisioned together ----------------------------------------------------


@pytest.fixture
def batch(reviewer, gpu_pool, storage_pool):
    """Three applications approved together (what filling a call by priority does): four allocations."""
    call = make_call(gpu_pool, storage_pool)
    applications = [
        submitted_application(call, (gpu_pool, 2), (storage_pool, 30)),
        submitted_application(call, (gpu_pool, 1)),
        submitted_application(call, (storage_pool, 5)),
    ]
    result = decisions.applications_approve(actor=reviewer, applications=applications)
    assert len(result.allocations) == 4
    return [allocation.pk for allocation in result.allocations]


def states(allocation_ids) -> list[tuple[str, int]]:
    return list(Allocation.objects.filter(pk__in=allocation_ids).order_by("pk").values_list("state", "attempts"))


def test_a_batch_is_provisioned_together_each_allocation_once_with_its_history(batch):
    allocations = provisioning.allocations_provision(allocation_ids=batch)

    assert [allocation.pk for allocation in allocations] == sorted(batch)
    assert states(batch) == [("active", 1)] * 4
    for allocation in Allocation.objects.filter(pk__in=batch):
        assert allocation.external_ref == ProvisionedResource.objects.get(allocation=allocation).external_ref
        assert history(allocation) == PROVISIONED
    assert not ledger.ledger_drift()


def test_a_batch_provisioned_again_or_beside_single_tasks_is_left_as_it_is(batch):
    tasks.provision_allocation.apply(args=[batch[0]])  # one of them went first on its own

    tasks.provision_allocations.apply(args=[batch])
    tasks.provision_allocations.apply(args=[batch])

    assert states(batch) == [("active", 1)] * 4
    assert ProvisionedResource.objects.filter(allocation_id__in=batch).count() == 4
    assert Allocation.objects.filter(pk__in=batch, transitions__to_state="active").count() == 4


def test_a_batch_the_backend_refuses_in_part_changes_nothing_and_goes_one_by_one(batch, faulty_cloud):
    faulty_cloud.transient_failures = 1  # each allocation's first attempt

    with pytest.raises(provisioning.NotProvisionableTogether):
        provisioning.allocations_provision(allocation_ids=batch)

    assert states(batch) == [("pending", 0)] * 4
    assert not ProvisionedResource.objects.exists()
    # One by one, each with its own retries (what the batch's task sends for each).
    for allocation_id in batch:
        tasks.provision_allocation.apply(args=[allocation_id])
    assert states(batch) == [("active", 2)] * 4


class DiesAfterMakingTheQuotas(ModelledCloudProvisioner):
    def provision_many(self, allocations):
        super().provision_many(allocations)
        raise RuntimeError("worker lost")


def test_a_crash_while_provisioning_a_batch_rolls_all_of_it_back(batch, settings):
    settings.PROVISIONER_BACKEND = f"{__name__}.DiesAfterMakingTheQuotas"

    with pytest.raises(RuntimeError):
        provisioning.allocations_provision(allocation_ids=batch)

    assert states(batch) == [("pending", 0)] * 4
    assert not ProvisionedResource.objects.exists()
    assert not Allocation.objects.filter(pk__in=batch, transitions__to_state="provisioning").exists()


def test_a_backend_outside_the_portals_database_provisions_a_batch_one_by_one(batch, settings):
    settings.PROVISIONER_BACKEND = f"{__name__}.RemoteCloud"

    with pytest.raises(provisioning.NotProvisionableTogether):
        provisioning.allocations_provision(allocation_ids=batch)

    assert states(batch) == [("pending", 0)] * 4
