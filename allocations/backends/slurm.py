"""Allocations as Slurm accounts, written into Slurm's accounting database with ``sacctmgr``.

For each allocation the portal keeps, on the cluster ``SLURM_CLUSTER``:

- a parent account per call, ``<parent>-call<call id>``, under ``<parent>``
  (``SLURM_PARENT_ACCOUNT``, itself under Slurm's ``root``);
- the allocation's account, ``<parent>-o<organisation id>-a<allocation id>`` (stable and unique:
  ids never change or repeat), under its call's account, with the limits of the grant:
  ``GrpTRES=gres/gpu=<units>`` for a GPU offering (``cpu=<cores>`` for a CPU offering), and for
  an offering metered against a budget ``GrpTRESMins`` of units × 24 × 60 × service days;
- one user association per member of the organisation, the Slurm user named
  ``<SLURM_USER_PREFIX><portal user id>`` (the login the data center's directory gives the
  member; the portal creates no Unix accounts);
- outside the service period (before its first day, after its last) the account is disabled:
  ``GrpSubmitJobs=0`` and ``GrpJobs=0`` refuse new jobs and hold queued ones.

Every command is idempotent: ``provision`` reads what Slurm holds (``sacctmgr show assoc``), adds
what is missing and sets the limits to the grant's figures, so running it again (after a crash,
a retry, a sweep) finds the account and corrects it, never adds a second one. ``resize`` is the
same operation; ``deprovision`` disables the account, then removes its users' associations and
the account (Slurm refuses while a job of it runs: the account stays disabled and
``sync_service_periods`` removes it later). Slurm keeps the jobs' accounting records after an
account is removed, so its usage stays readable.

The portal must be a Slurm administrator (``AdminLevel=Admin`` of the user it runs as, or root)
on a host whose ``slurm.conf`` and munge key reach the cluster's slurmdbd.
"""

import logging
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone

from allocations.backends import ProvisioningError, TransientProvisioningError
from allocations.models import HOLDING_STATES, Allocation
from applications.models import Membership
from pool.models import Offering, OfferingMetering, OfferingUnit

logger = logging.getLogger(__name__)

# What one unit of an offering is in Slurm's trackable resources.
TRES = {OfferingUnit.GPU.value: "gres/gpu", OfferingUnit.CORE.value: "cpu"}
# sacctmgr's answer when an ``add`` or ``delete`` finds nothing to do (its exit status is then 1).
NOTHING_NEW = ("Nothing new added", "Nothing deleted")
# A name Slurm takes as it is: lower case (it lowers names itself), no spaces or quotes.
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
ACCOUNT = re.compile(r"-o(?P<organization>\d+)-a(?P<allocation>\d+)$")


def tres(offering: Offering) -> str:
    """The trackable resource one unit of ``offering`` is; ``ProvisioningError`` if Slurm has none."""
    try:
        return TRES[offering.unit]
    except KeyError:
        raise ProvisioningError(
            f"Slurm schedules GPUs and cores; {offering.name} is counted in {offering.unit}"
        ) from None


def call_account(call_id: int) -> str:
    return f"{settings.SLURM_PARENT_ACCOUNT}-call{call_id}"


def allocation_account(allocation: Allocation) -> str:
    return f"{settings.SLURM_PARENT_ACCOUNT}-o{allocation.organization_id}-a{allocation.pk}"


def allocation_id_of(account: str) -> int | None:
    """The allocation id in one of the portal's account names, or None for any other account."""
    if not account.startswith(f"{settings.SLURM_PARENT_ACCOUNT}-o"):
        return None
    match = ACCOUNT.search(account)
    return int(match["allocation"]) if match else None


def slurm_user(user_id: int) -> str:
    return f"{settings.SLURM_USER_PREFIX}{user_id}"


@dataclass(frozen=True)
class Limits:
    """An account's limits as sacctmgr prints and takes them (``-1`` clears one)."""

    grp_tres: str
    grp_tres_mins: str
    grp_submit_jobs: str
    grp_jobs: str

    def settings(self) -> list[str]:
        # A TRES limit is cleared per resource ("GrpTRESMins=gres/gpu=-1"), and then shown empty.
        resource = self.grp_tres.split("=")[0]
        budget = self.grp_tres_mins if self.grp_tres_mins != "-1" else f"{resource}=-1"
        return [
            f"GrpTRES={self.grp_tres}",
            f"GrpTRESMins={budget}",
            f"GrpSubmitJobs={self.grp_submit_jobs}",
            f"GrpJobs={self.grp_jobs}",
        ]


def limits(allocation: Allocation, today: date) -> Limits:
    """What Slurm should enforce for ``allocation`` on ``today`` (a pure rule)."""
    resource = tres(allocation.offering)
    budget = "-1"
    if allocation.offering.metering == OfferingMetering.METERED:
        days = (allocation.ends_on - allocation.starts_on).days + 1
        budget = f"{resource}={allocation.quantity * 24 * 60 * days}"
    in_service = allocation.starts_on <= today <= allocation.ends_on and allocation.holds_capacity
    stopped = "-1" if in_service else "0"
    return Limits(f"{resource}={allocation.quantity}", budget, stopped, stopped)


@dataclass(frozen=True)
class Association:
    account: str
    user: str
    parent: str
    limits: Limits


def _shown(value: str) -> str:
    # sacctmgr prints a limit that is not set as an empty field: "-1" when it is written.
    return value or "-1"


def parse_associations(output: str) -> list[Association]:
    """``sacctmgr -n -P show assoc format=account,user,parentname,grptres,grptresmins,
    grpsubmitjobs,grpjobs`` as records."""
    associations = []
    for line in output.splitlines():
        if not line.strip():
            continue
        account, user, parent, grp_tres, grp_tres_mins, grp_submit, grp_jobs = line.split("|")[:7]
        associations.append(
            Association(
                account,
                user,
                parent,
                Limits(_shown(grp_tres), _shown(grp_tres_mins), _shown(grp_submit), _shown(grp_jobs)),
            )
        )
    return associations


ASSOCIATION_FORMAT = "format=account,user,parentname,grptres,grptresmins,grpsubmitjobs,grpjobs"


class Sacctmgr:
    """sacctmgr on ``SLURM_CLUSTER``: ``-i`` (commit at once, never ask), parsable output."""

    def __init__(self, path: str | None = None, cluster: str | None = None, timeout: float | None = None):
        self.path = path or settings.SLURM_SACCTMGR
        self.cluster = cluster or settings.SLURM_CLUSTER
        self.timeout = timeout or settings.SLURM_TIMEOUT_SECONDS

    def run(self, *arguments: str) -> str:
        """Run one command; "nothing new added / deleted" is success (the command is idempotent).
        A command that fails otherwise raises ``TransientProvisioningError`` (slurmdbd down, a
        lock): the engine retries, and gives up after ``PROVISIONING_MAX_ATTEMPTS``."""
        command = [self.path, "-i", "-n", "-P", *arguments]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout, check=False)
        except FileNotFoundError as error:
            raise ProvisioningError(f"SLURM_SACCTMGR={self.path!r} cannot be run: {error}") from error
        except (subprocess.TimeoutExpired, OSError) as error:
            raise TransientProvisioningError(f"{' '.join(command)}: {error}") from error
        output = result.stdout + result.stderr
        if result.returncode != 0 and not any(text in output for text in NOTHING_NEW):
            raise TransientProvisioningError(f"{' '.join(command)} exited {result.returncode}: {output.strip()}")
        return result.stdout

    def associations(self, *accounts: str) -> list[Association]:
        where = ["where", f"cluster={self.cluster}"]
        if accounts:
            where.append(f"accounts={','.join(accounts)}")
        return parse_associations(self.run("show", "assoc", *where, ASSOCIATION_FORMAT))

    def add_account(self, name: str, *, parent: str, description: str, organization: str) -> None:
        self.run(
            "add",
            "account",
            name,
            f"cluster={self.cluster}",
            f"parent={parent}",
            f"description={description}",
            f"organization={organization}",
        )

    def set_limits(self, account: str, limits: Limits) -> None:
        self.run("modify", "account", "where", f"name={account}", f"cluster={self.cluster}", "set", *limits.settings())

    def disable(self, account: str) -> None:
        """No new job, and no queued job starts (the limits stay as they are)."""
        self.run(
            "modify",
            "account",
            "where",
            f"name={account}",
            f"cluster={self.cluster}",
            "set",
            "GrpSubmitJobs=0",
            "GrpJobs=0",
        )

    def add_users(self, account: str, users: Iterable[str]) -> None:
        self.run("add", "user", ",".join(users), f"account={account}", f"cluster={self.cluster}")

    def default_accounts(self, users: Iterable[str]) -> dict[str, str]:
        output = self.run("show", "user", "where", f"name={','.join(users)}", "format=user,defaultaccount")
        return dict(line.split("|")[:2] for line in output.splitlines() if "|" in line)

    def remove_users(self, account: str, users: Iterable[str]) -> None:
        """Remove the users' associations with ``account``. A user whose default account it is,
        and who has another (a member of two organisations), gets that one as default first:
        Slurm would otherwise leave the user without a default account."""
        users = list(users)
        moving = [user for user, default in self.default_accounts(users).items() if default == account]
        if moving:
            where = ["where", f"cluster={self.cluster}", f"users={','.join(moving)}"]
            for association in parse_associations(self.run("show", "assoc", *where, ASSOCIATION_FORMAT)):
                if association.user in moving and association.account != account:
                    self.run(
                        "modify",
                        "user",
                        "where",
                        f"name={association.user}",
                        f"cluster={self.cluster}",
                        "set",
                        f"defaultaccount={association.account}",
                    )
                    moving.remove(association.user)
        self.run("delete", "user", "where", f"name={','.join(users)}", f"account={account}", f"cluster={self.cluster}")

    def remove_account(self, account: str) -> None:
        self.run("delete", "account", "where", f"name={account}", f"cluster={self.cluster}")


class SlurmProvisioner:
    """Allocations as Slurm accounts with GPU (or CPU) limits (see the module's docstring)."""

    # The accounts live in Slurm's database: the engine commits its claim before calling, and
    # activates in a second transaction.
    shares_portal_database = False

    def __init__(self, sacctmgr: Sacctmgr | None = None):
        self.sacctmgr = sacctmgr or Sacctmgr()

    def provision(self, allocation: Allocation) -> str:
        """The allocation's account, made or corrected to the grant's limits and members;
        returns its name. Idempotent."""
        self._ensure(allocation)
        return allocation_account(allocation)

    def resize(self, allocation: Allocation) -> None:
        """Set the account's limits to the allocation's figures (after a supplement or a
        reclaim) and its users to the organisation's members. Idempotent."""
        self._ensure(allocation)

    def deprovision(self, allocation: Allocation) -> None:
        """Disable the account, then remove its users and itself. Idempotent: an account
        already gone is fine. A job still running keeps it (disabled) until a later sync. The
        account is the one named after the allocation, never its ``external_ref`` (free text a
        provisioning report or an operator may have written)."""
        self._remove(allocation_account(allocation))

    def sync_service_periods(self, allocations: Sequence[Allocation], today: date) -> int:
        """Bring every account of the portal's to what ``allocations`` (those that hold capacity)
        should have today: enabled within the service period, disabled outside it, with the
        grant's limits and the organisation's members as users; an account whose allocation no
        longer holds capacity is removed (its removal after the end failed, or was never asked).
        One ``show assoc`` for all, one command per difference. Returns how many accounts were
        changed. Idempotent (the beat runs it hourly)."""
        by_id = {allocation.pk: allocation for allocation in allocations}
        held: dict[str, Limits] = {}
        users: dict[str, set[str]] = {}
        for association in self.sacctmgr.associations():
            if allocation_id_of(association.account) is None:
                continue
            if association.user:
                users.setdefault(association.account, set()).add(association.user)
            else:
                held[association.account] = association.limits
        # An allocation approved and provisioned after ``allocations`` was read holds capacity too.
        unknown = {ident for account in held if (ident := allocation_id_of(account)) is not None} - set(by_id)
        recent = set(Allocation.objects.filter(pk__in=unknown, state__in=HOLDING_STATES).values_list("pk", flat=True))
        members = _members({allocation.organization_id for allocation in allocations})
        changed = 0
        for account, current in held.items():
            allocation_id = allocation_id_of(account)
            if allocation_id in recent:
                continue
            allocation = by_id.get(allocation_id) if allocation_id is not None else None
            if allocation is None:
                try:
                    self._remove(account)
                    changed += 1
                except TransientProvisioningError as error:
                    logger.warning("Slurm account %s of an ended allocation stays for now: %s", account, error)
                continue
            wanted = limits(allocation, today)
            differs = current != wanted
            if differs:
                self.sacctmgr.set_limits(account, wanted)
            differs |= self._sync_users(account, users.get(account, set()), members.get(allocation.organization_id, []))
            changed += differs
        return changed

    def _sync_users(self, account: str, users: set[str], members: list[str]) -> bool:
        """Make the account's users exactly the members; whether anything changed."""
        missing = [user for user in members if user not in users]
        gone = sorted(users - set(members))
        if missing:
            self.sacctmgr.add_users(account, missing)
        if gone:
            self.sacctmgr.remove_users(account, gone)
        return bool(missing or gone)

    def _remove(self, account: str) -> None:
        held = self.sacctmgr.associations(account)
        if not held:
            return
        self.sacctmgr.disable(account)
        if users := sorted({association.user for association in held if association.user}):
            self.sacctmgr.remove_users(account, users)
        self.sacctmgr.remove_account(account)

    def _ensure(self, allocation: Allocation) -> None:
        parent = settings.SLURM_PARENT_ACCOUNT
        call = allocation.application_item.application.call_id
        account = allocation_account(allocation)
        wanted = limits(allocation, timezone.localdate())
        members = _members({allocation.organization_id}).get(allocation.organization_id, [])
        held = self.sacctmgr.associations(parent, call_account(call), account)
        accounts = {association.account for association in held if not association.user}
        if parent not in accounts:
            self.sacctmgr.add_account(parent, parent="root", description="nai-dc portal", organization=parent)
        if call_account(call) not in accounts:
            self.sacctmgr.add_account(
                call_account(call), parent=parent, description=f"call {call}", organization=parent
            )
        if account not in accounts:
            self.sacctmgr.add_account(
                account,
                parent=call_account(call),
                description=f"allocation {allocation.pk}",
                organization=f"{parent}-o{allocation.organization_id}",
            )
        row = next((a for a in held if a.account == account and not a.user), None)
        if row is not None and row.parent != call_account(call):
            self.sacctmgr.run(
                "modify",
                "account",
                "where",
                f"name={account}",
                f"cluster={self.sacctmgr.cluster}",
                "set",
                f"parent={call_account(call)}",
            )
        if row is None or row.limits != wanted:
            self.sacctmgr.set_limits(account, wanted)
        users = {association.user for association in held if association.account == account and association.user}
        self._sync_users(account, users, members)


def _members(organization_ids: set[int]) -> dict[int, list[str]]:
    """The Slurm user names of each organisation's members."""
    members: dict[int, list[str]] = {}
    for organization_id, user_id in (
        Membership.objects.filter(organization_id__in=organization_ids)
        .order_by("organization_id", "user_id")
        .values_list("organization_id", "user_id")
    ):
        members.setdefault(organization_id, []).append(slurm_user(user_id))
    return members
