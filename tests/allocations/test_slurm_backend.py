"""The Slurm backend's rules and parsing, without a cluster: the limits a grant becomes, the
account names, and sacctmgr's and sacct's answers as recorded from the real daemons of
tests/slurm_cluster.py (Slurm 22.05, Debian 12). tests/integration/test_slurm.py runs them against
the cluster itself."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from allocations.backends import ProvisioningError, TransientProvisioningError
from allocations.backends.slurm import (
    Limits,
    Sacctmgr,
    SlurmProvisioner,
    allocation_account,
    allocation_id_of,
    limits,
    parse_associations,
)
from allocations.models import Allocation
from metering.sources.slurm import SlurmSource, allocated, unit_seconds
from pool.models import Offering

# `sacctmgr -n -P show assoc where cluster=portaltest format=account,user,parentname,grptres,
# grptresmins,grpsubmitjobs,grpjobs`, recorded.
SHOW_ASSOC = """root||||||
root|root|||||
nai-dc||root||||
nai-dc-call1||nai-dc||||
nai-dc-o1-a42||nai-dc-call1|gres/gpu=2|gres/gpu=600|0|0
nai-dc-o1-a42|portalmember|||||
"""
# `SLURM_TIME_FORMAT=%s sacct -a -X -n -P --format=account,alloctres,start,end`, recorded: a job
# cancelled while pending (never started), one that ran 2 s on 2 GPUs.
SACCT = """a42-acme||None|1796673497
a42-acme|billing=1,cpu=1,gres/gpu=2,node=1|1796673450|1796673452
"""


def allocation(unit=Offering.Unit.GPU, metering=Offering.Metering.RESERVED, quantity=4, state="active"):
    offering = Offering(name="H100", unit=unit, metering=metering)
    return Allocation(
        pk=42,
        organization_id=7,
        offering=offering,
        quantity=quantity,
        starts_on=date(2031, 1, 1),
        ends_on=date(2031, 1, 31),
        state=state,
    )


def test_a_reserved_gpu_grant_is_a_gpu_limit_open_within_its_service_period():
    assert limits(allocation(), date(2031, 1, 15)) == Limits("gres/gpu=4", "-1", "-1", "-1")


def test_a_metered_grant_adds_a_budget_of_gpu_minutes_over_its_service_days():
    wanted = limits(allocation(metering=Offering.Metering.METERED), date(2031, 1, 1))
    assert wanted.grp_tres_mins == f"gres/gpu={4 * 24 * 60 * 31}"


def test_a_cpu_grant_limits_cores():
    assert limits(allocation(unit=Offering.Unit.CORE, quantity=64), date(2031, 1, 31)).grp_tres == "cpu=64"


@pytest.mark.parametrize("today", [date(2030, 12, 31), date(2031, 2, 1)])
def test_an_account_is_closed_before_its_first_day_and_after_its_last(today):
    wanted = limits(allocation(), today)
    assert (wanted.grp_submit_jobs, wanted.grp_jobs) == ("0", "0")
    assert wanted.grp_tres == "gres/gpu=4"


def test_an_allocation_that_no_longer_holds_capacity_is_closed():
    wanted = limits(allocation(state="revoked"), date(2031, 1, 15))
    assert (wanted.grp_submit_jobs, wanted.grp_jobs) == ("0", "0")


def test_storage_is_refused_for_good():
    with pytest.raises(ProvisioningError) as refused:
        limits(allocation(unit=Offering.Unit.TB), date(2031, 1, 15))
    assert not isinstance(refused.value, TransientProvisioningError)


def test_a_cleared_budget_is_written_per_resource():
    assert Limits("gres/gpu=4", "-1", "-1", "-1").settings() == [
        "GrpTRES=gres/gpu=4",
        "GrpTRESMins=gres/gpu=-1",
        "GrpSubmitJobs=-1",
        "GrpJobs=-1",
    ]


def test_account_names_carry_the_organisation_and_the_allocation(settings):
    settings.SLURM_PARENT_ACCOUNT = "nai-dc"
    assert allocation_account(allocation()) == "nai-dc-o7-a42"
    assert allocation_id_of("nai-dc-o7-a42") == 42
    assert allocation_id_of("nai-dc-call3") is None
    assert allocation_id_of("other-o7-a42") is None  # another portal's, or by hand


def test_sacctmgrs_associations_are_read_with_unset_limits_as_minus_one():
    rows = parse_associations(SHOW_ASSOC)
    assert [(row.account, row.user, row.parent) for row in rows][2:] == [
        ("nai-dc", "", "root"),
        ("nai-dc-call1", "", "nai-dc"),
        ("nai-dc-o1-a42", "", "nai-dc-call1"),
        ("nai-dc-o1-a42", "portalmember", ""),
    ]
    assert rows[4].limits == Limits("gres/gpu=2", "gres/gpu=600", "0", "0")
    assert rows[3].limits == Limits("-1", "-1", "-1", "-1")


def fake_sacctmgr(tmp_path, exit_status: int, output: str) -> Sacctmgr:
    """A script standing in for sacctmgr's exit status and output (what the wrapper does with them)."""
    script = tmp_path / "sacctmgr"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{output}'\nexit {exit_status}\n")
    script.chmod(0o755)
    return Sacctmgr(path=str(script), cluster="portaltest", timeout=5)


def test_nothing_new_added_is_success(tmp_path):
    # Recorded: `sacctmgr -i add account nai-dc-call1 parent=nai-dc` a second time exits 1.
    assert fake_sacctmgr(tmp_path, 1, " Nothing new added.\n").run("add", "account", "x") == " Nothing new added.\n"


def test_any_other_failure_is_transient(tmp_path):
    failing = fake_sacctmgr(tmp_path, 1, "sacctmgr: error: Problem talking to the database: Connection refused")
    with pytest.raises(TransientProvisioningError, match="Connection refused"):
        failing.run("show", "assoc")


def test_a_missing_sacctmgr_is_refused_for_good(tmp_path):
    missing = Sacctmgr(path=str(tmp_path / "nowhere"), cluster="portaltest", timeout=5)
    with pytest.raises(ProvisioningError) as refused:
        missing.run("show", "assoc")
    assert not isinstance(refused.value, TransientProvisioningError)


def test_a_jobs_gpus_are_read_from_its_allocated_tres():
    assert allocated("billing=1,cpu=1,gres/gpu=2,node=1", "gres/gpu") == 2
    assert allocated("billing=1,cpu=1,gres/gpu=2,node=1", "cpu") == 1
    assert allocated("billing=1,cpu=1,node=1", "gres/gpu") == 0


def test_gpu_seconds_count_the_part_of_each_job_inside_the_window():
    whole = unit_seconds(SACCT, (1796673400, 1796673500), now=1796673600)
    assert whole == {("a42-acme", "gres/gpu"): 4, ("a42-acme", "cpu"): 2}
    # A window that starts a second into the job counts the second second only.
    assert unit_seconds(SACCT, (1796673451, 1796673500), now=0)[("a42-acme", "gres/gpu")] == 2
    assert unit_seconds(SACCT, (1796673452, 1796673500), now=0) == {}


def test_a_running_job_counts_until_now():
    running = "acct|cpu=1,gres/gpu=1|100|Unknown\n"
    assert unit_seconds(running, (0, 1000), now=160) == {("acct", "gres/gpu"): 60, ("acct", "cpu"): 60}


class RecordingSacctmgr(Sacctmgr):
    """sacctmgr's answers as recorded (SHOW_ASSOC) for the accounts asked, and the commands given."""

    def __init__(self):
        super().__init__(path="sacctmgr", cluster="portaltest", timeout=5)
        self.commands: list[tuple[str, ...]] = []

    def run(self, *arguments: str) -> str:
        self.commands.append(arguments)
        if arguments[:2] == ("show", "assoc"):
            asked = [a.removeprefix("accounts=") for a in arguments if a.startswith("accounts=")]
            names = {name for value in asked for name in value.split(",")}
            return "".join(line + "\n" for line in SHOW_ASSOC.splitlines() if line.split("|")[0] in names)
        return ""


def test_a_release_removes_the_allocations_own_account_whatever_its_external_ref(settings):
    settings.SLURM_PARENT_ACCOUNT = "nai-dc"
    released = allocation()
    released.organization_id = 1
    released.external_ref = "nai-dc-call1"  # free text: someone else's account
    sacctmgr = RecordingSacctmgr()

    SlurmProvisioner(sacctmgr).deprovision(released)

    changed = [command for command in sacctmgr.commands if command[:2] != ("show", "assoc")]
    assert changed, sacctmgr.commands
    assert all("nai-dc-call1" not in " ".join(command) for command in sacctmgr.commands), sacctmgr.commands
    assert any("nai-dc-o1-a42" in " ".join(command) for command in changed), changed


def test_usage_is_read_from_the_allocations_own_account_whatever_its_external_ref(tmp_path, settings):
    settings.SLURM_PARENT_ACCOUNT = "nai-dc"
    measured = allocation()
    measured.external_ref = "a42-acme,someone-else"  # free text
    arguments = tmp_path / "arguments"
    sacct = tmp_path / "sacct"
    sacct.write_text(
        f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {arguments}\n"
        "printf 'nai-dc-o7-a42|cpu=1,gres/gpu=2|1796673450|1796673452\\n'\n"
    )
    sacct.chmod(0o755)
    source = SlurmSource(
        sacct=str(sacct),
        cluster="portaltest",
        window=lambda day: (datetime.fromtimestamp(1796673400, UTC), datetime.fromtimestamp(1796673500, UTC)),
    )

    used = source.collect(date(2026, 12, 1), [measured])

    assert "--accounts=nai-dc-o7-a42" in arguments.read_text().splitlines()
    assert used == {42: Decimal(4) / 3600}
