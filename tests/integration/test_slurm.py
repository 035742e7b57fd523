"""The Slurm backend against a real Slurm (tests/slurm_cluster.py: munged, MariaDB, slurmdbd,
slurmctld and one slurmd with four GPUs, accounting enforced), one cluster for the module.

An approval is provisioned by a real Celery worker into a Slurm account whose limits Slurm then
enforces on jobs submitted by a member's local Unix login (``runuser``, through munge, as a user
on a cluster would); the jobs' usage is read back from Slurm's accounting into the metering
records. A worker killed between "account made" and "allocation active", and provisioning run
twice, leave one account with the grant's limit.
"""

import os
import pwd
import signal
import subprocess
import time
import uuid
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from allocations.backends.slurm import Association, Sacctmgr, allocation_account, call_account, slurm_user
from allocations.models import Allocation
from allocations.services.changes import allocation_quota_sync, allocation_reduce
from allocations.services.decisions import application_approve
from allocations.services.provisioning import allocation_provision, allocations_sync_service_periods
from allocations.services.release import allocation_release
from allocations.tasks import provision_allocation, sweep_stuck_allocations
from applications.models import Membership
from metering.models import UsageRecord, UsageSource
from metering.services import usage_collect
from metering.sources.slurm import SlurmSource
from pool.models import CapacityPhase, Offering
from tests.allocations.conftest import submitted_application
from tests.factories import CallFactory, MembershipFactory, OfferingFactory
from tests.integration.test_provisioning_worker import wait_for_log, wait_for_state
from tests.slurm_cluster import CLUSTER, SlurmCluster, slurm_cluster

pytestmark = pytest.mark.integration

SLURM = "allocations.backends.slurm.SlurmProvisioner"
STALLING_SLURM = "tests.provisioners.SlurmThenStall"
GRANTED_GPUS = 2
SERVICE_DAYS = 31


@pytest.fixture(scope="module")
def cluster():
    with slurm_cluster() as running, pytest.MonkeyPatch.context() as patch:
        # This process's sacctmgr and sacct (the in-process services, the checks) reach it too.
        patch.setenv("SLURM_CONF", running.env["SLURM_CONF"])
        yield running


@pytest.fixture
def slurm(cluster, settings):
    """The portal set to the cluster, with a parent account of the test's own."""
    settings.PROVISIONER_BACKEND = SLURM
    settings.SLURM_CLUSTER = CLUSTER
    settings.SLURM_PARENT_ACCOUNT = f"t{uuid.uuid4().hex[:8]}"
    settings.SLURM_USER_PREFIX = "pm"
    return cluster


def worker_env(settings, **extra: str) -> dict[str, str]:
    return {
        "PROVISIONER_BACKEND": SLURM,
        "SLURM_CLUSTER": CLUSTER,
        "SLURM_PARENT_ACCOUNT": settings.SLURM_PARENT_ACCOUNT,
        "SLURM_USER_PREFIX": settings.SLURM_USER_PREFIX,
        "SLURM_CONF": os.environ["SLURM_CONF"],
        **extra,
    }


def approve(metering: str = Offering.Metering.RESERVED, gpus: int = GRANTED_GPUS, login=None) -> tuple[Allocation, str]:
    """Approve ``gpus`` GPUs of a fresh pool for a new organisation with one member, in service
    from yesterday for SERVICE_DAYS days; its allocation and the member's Slurm user name.
    ``login(name)``, if given, makes the member's Unix account before the approval (slurmctld
    resolves a user's uid when it loads the association)."""
    today = timezone.localdate()
    offering = OfferingFactory(metering=metering)
    CapacityPhase.objects.create(offering=offering, starts_on=today - timedelta(days=60), units=8)
    starts_on, ends_on = today - timedelta(days=1), today + timedelta(days=SERVICE_DAYS - 2)
    call = CallFactory(service_starts_on=starts_on, service_ends_on=ends_on)
    call.call_offerings.create(offering=offering, max_per_application=8)
    application = submitted_application(call, (offering, gpus, starts_on, ends_on))
    member = MembershipFactory(organization=application.organization)
    if login is not None:
        login(slurm_user(member.user_id))
    [allocation] = application_approve(actor=None, application=application)
    return allocation, slurm_user(member.user_id)


def associations(account: str) -> list[Association]:
    return Sacctmgr().associations(account)


def account_row(account: str) -> Association:
    [row] = [association for association in associations(account) if not association.user]
    return row


@pytest.fixture
def unix_login():
    """``unix_login(name)`` makes a local Unix account (removed at the end) for a member's jobs."""
    made: list[str] = []

    def make(name: str) -> str:
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name], check=True)
            made.append(name)
        return name

    yield make
    for name in made:
        subprocess.run(["userdel", name], check=False)


def submit(cluster: SlurmCluster, login: str, account: str, gpus: int, seconds: int) -> str:
    result = cluster.run(
        "sbatch",
        "--parsable",
        f"--account={account}",
        f"--gres=gpu:{gpus}",
        "--chdir=/tmp",
        "--output=/dev/null",
        f"--wrap=sleep {seconds}",
        user=login,
    )
    return result.stdout.strip().split(";")[0]


def job_field(cluster: SlurmCluster, job: str, field: str) -> str:
    return cluster.run("squeue", "-h", "-j", job, "-o", field, check=False).stdout.strip()


def accounting(cluster: SlurmCluster, job: str) -> tuple[str, int, int]:
    """(state, start, end) of a job in Slurm's accounting, times in epoch seconds."""
    line = cluster.run(
        "sacct", "-n", "-P", "-X", "-j", job, "--format=state,start,end", check=False, SLURM_TIME_FORMAT="%s"
    ).stdout.strip()
    state, start, end = (line.split("|") + ["", "", ""])[:3]
    return state, int(start) if start.isdigit() else 0, int(end) if end.isdigit() else 0


def within_line(cluster: SlurmCluster, job: str) -> str:
    """The job's line as the usage source's query prints it (its allocated TRES and times)."""
    return cluster.run(
        "sacct", "-n", "-P", "-X", "-j", job, "--format=alloctres,start,end", check=False, SLURM_TIME_FORMAT="%s"
    ).stdout.strip()


@pytest.mark.django_db(transaction=True)
def test_an_approval_becomes_a_slurm_account_whose_gpu_limit_slurm_enforces_and_whose_usage_comes_back(
    slurm, settings, task_queue, start_worker, unix_login
):
    start_worker(task_queue, **worker_env(settings))
    allocation, member = approve(Offering.Metering.METERED, login=unix_login)

    allocation = wait_for_state(allocation, Allocation.State.ACTIVE)
    account = allocation_account(allocation)
    assert allocation.external_ref == account
    row = account_row(account)
    assert row.parent == call_account(allocation.application_item.application.call_id)
    assert row.limits.grp_tres == f"gres/gpu={GRANTED_GPUS}"
    # The budget of a metered offering: 2 GPUs × 24 h × 60 min × 31 days, in GPU-minutes.
    assert row.limits.grp_tres_mins == f"gres/gpu={GRANTED_GPUS * 24 * 60 * SERVICE_DAYS}"
    assert (row.limits.grp_submit_jobs, row.limits.grp_jobs) == ("-1", "-1")  # in service: open
    assert [a.user for a in associations(account) if a.user] == [member]

    login = member  # the member's Unix login, made before the approval
    window_start = datetime.now(tz=timezone.get_current_timezone()).replace(microsecond=0)
    too_many = submit(slurm, login, account, GRANTED_GPUS + 1, 1)
    within = submit(slurm, login, account, GRANTED_GPUS, 3)
    # Slurm holds the job that asks for more GPUs than granted, and runs the one within.
    slurm.wait_until(lambda: job_field(slurm, too_many, "%r") == "AssocGrpGRES", "the big job held")
    slurm.wait_until(lambda: accounting(slurm, within)[0] == "COMPLETED", "the job within the grant done", 60)
    assert job_field(slurm, too_many, "%T") == "PENDING"
    slurm.run("scancel", too_many)
    # Another account's job (not the member's) is refused outright.
    refused = slurm.run(
        "sbatch", "--account=root", "--gres=gpu:1", "--wrap=true", "--output=/dev/null", user=login, check=False
    )
    assert refused.returncode != 0

    # The usage: GPU-hours of the account's jobs, read back into the metering records.
    _, started, ended = accounting(slurm, within)
    assert ended > started
    window_end = datetime.now(tz=timezone.get_current_timezone()).replace(microsecond=0) + timedelta(seconds=1)
    source = SlurmSource(window=lambda day: (window_start, window_end))

    # Once (in one CI run of many, the machine loaded) the window's query found nothing yet,
    # although `sacct -j` had the job done: the collection reads what the window's query reads.
    def in_the_window() -> bool:
        line = within_line(slurm, within)
        return "gres/gpu" in line and f"|{line}" in source.jobs([account], window_start, window_end)

    slurm.wait_until(in_the_window, "the job in sacct's window", 30)
    yesterday = timezone.localdate() - timedelta(days=1)
    usage_collect(day=yesterday, source=source)
    record = UsageRecord.objects.get(allocation=allocation, day=yesterday)
    expected = Decimal(GRANTED_GPUS * (ended - started)) / 3600
    assert record.source == UsageSource.SLURM
    assert record.used == expected.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP) > 0

    # A reclaim lowers the limit; an end of service closes the account; a revocation removes it.
    allocation_reduce(actor=None, allocation=allocation, quantity=1, reason="idle")
    allocation_quota_sync(allocation_id=allocation.pk)
    assert account_row(account).limits.grp_tres == "gres/gpu=1"
    assert account_row(account).limits.grp_tres_mins == f"gres/gpu={1 * 24 * 60 * SERVICE_DAYS}"
    assert allocations_sync_service_periods(today=allocation.ends_on + timedelta(days=1)) == 1
    assert (account_row(account).limits.grp_submit_jobs, account_row(account).limits.grp_jobs) == ("0", "0")
    assert allocations_sync_service_periods(today=timezone.localdate()) == 1  # open again
    assert allocations_sync_service_periods(today=timezone.localdate()) == 0  # nothing to do
    # A member who joins becomes a user of the account, one who leaves stops being one.
    newcomer = MembershipFactory(organization=allocation.organization)
    Membership.objects.filter(organization=allocation.organization).exclude(pk=newcomer.pk).delete()
    assert allocations_sync_service_periods(today=timezone.localdate()) == 1
    assert [a.user for a in associations(account) if a.user] == [slurm_user(newcomer.user_id)]
    allocation_release(actor=None, allocation=allocation, to_state=Allocation.State.REVOKED, reason="test")
    assert associations(account) == []
    # Slurm keeps the jobs of a removed account: the day still reads the same.
    assert source.collect(yesterday, [allocation])[allocation.pk] == expected


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_the_account_and_the_activation_leaves_one_account_after_a_sweep(
    slurm, settings, task_queue, start_worker
):
    stalling = start_worker(task_queue, **worker_env(settings, PROVISIONER_BACKEND=STALLING_SLURM))
    allocation, member = approve()
    wait_for_log(stalling, f"slurm account made for allocation {allocation.pk}")

    os.killpg(stalling.pid, signal.SIGKILL)  # the account is in Slurm; the allocation is not active
    assert stalling.wait(timeout=10) == -signal.SIGKILL
    allocation.refresh_from_db()
    assert (allocation.state, allocation.attempts) == (Allocation.State.PROVISIONING, 1)
    account = allocation_account(allocation)
    assert account_row(account).limits.grp_tres == f"gres/gpu={GRANTED_GPUS}"

    start_worker(task_queue, **worker_env(settings))
    settings.PROVISIONING_STUCK_AFTER_SECONDS = 1
    deadline = time.monotonic() + 60
    while not sweep_stuck_allocations():
        assert time.monotonic() < deadline, "the sweeper found no stuck allocation"
        time.sleep(0.2)
    allocation = wait_for_state(allocation, Allocation.State.ACTIVE)
    assert allocation.attempts == 2
    assert allocation.external_ref == account
    rows = associations(account)
    assert [(a.account, a.user) for a in rows] == [(account, ""), (account, member)]
    assert rows[0].limits.grp_tres == f"gres/gpu={GRANTED_GPUS}"


@pytest.mark.django_db(transaction=True)
def test_provisioning_twice_leaves_one_account_with_the_grants_limit(slurm, settings):
    allocation, member = approve()
    account = allocation_account(allocation)
    # The account made by hand meanwhile, elsewhere and with another limit: provisioning corrects it.
    Sacctmgr().add_account(account, parent="root", description="by hand", organization="by hand")
    Sacctmgr().run("modify", "account", "where", f"name={account}", "set", "GrpTRES=gres/gpu=7")

    assert allocation_provision(allocation_id=allocation.pk).state == Allocation.State.ACTIVE
    provision_allocation.apply(args=[allocation.pk])  # the task again: returns the active allocation as it is
    # The backend again, as a retry after a lost activation would call it.
    from allocations.backends.slurm import SlurmProvisioner

    assert SlurmProvisioner().provision(allocation) == account
    rows = associations(account)
    assert [(a.account, a.user) for a in rows] == [(account, ""), (account, member)]
    assert rows[0].limits.grp_tres == f"gres/gpu={GRANTED_GPUS}"
    assert rows[0].parent == call_account(allocation.application_item.application.call_id)
    allocation.refresh_from_db()
    assert (allocation.state, allocation.attempts) == (Allocation.State.ACTIVE, 1)

    # The member has an account elsewhere too: removing this one makes that one the default.
    sacctmgr = Sacctmgr()
    elsewhere = f"{settings.SLURM_PARENT_ACCOUNT}-elsewhere"
    sacctmgr.add_account(elsewhere, parent="root", description="elsewhere", organization="elsewhere")
    sacctmgr.add_users(elsewhere, [member])
    assert sacctmgr.default_accounts([member]) == {member: account}
    allocation_release(actor=None, allocation=allocation, to_state=Allocation.State.REVOKED, reason="test")
    assert associations(account) == []
    assert sacctmgr.default_accounts([member]) == {member: elsewhere}


@pytest.mark.django_db(transaction=True)
def test_an_account_with_a_running_job_is_closed_at_revocation_and_removed_by_the_sync_once_it_ends(
    slurm, settings, unix_login
):
    allocation, member = approve(login=unix_login)
    allocation = allocation_provision(allocation_id=allocation.pk)
    account = allocation.external_ref
    running = submit(slurm, member, account, 1, 300)
    slurm.wait_until(lambda: job_field(slurm, running, "%T") == "RUNNING", "the job running")

    # Slurm refuses to remove an account with a running job ("Job(s) active"): the revocation
    # stands, the account is closed to new jobs and stays.
    allocation_release(actor=None, allocation=allocation, to_state=Allocation.State.REVOKED, reason="test")
    row = account_row(account)
    assert (row.limits.grp_submit_jobs, row.limits.grp_jobs) == ("0", "0")
    refused = slurm.run("sbatch", f"--account={account}", "--wrap=true", "--output=/dev/null", user=member, check=False)
    assert refused.returncode != 0

    slurm.run("scancel", running)
    slurm.wait_until(lambda: accounting(slurm, running)[0].startswith("CANCELLED"), "the job cancelled", 60)
    assert allocations_sync_service_periods() == 1
    assert associations(account) == []
