"""A Slurm cluster of a test's own, from Debian's packages (``.ci/run`` installs them): its own
munged (a generated key, its own socket), its own MariaDB (a scratch data folder, its own socket
and port; never the machine's), slurmdbd, slurmctld and one slurmd whose node has four GPUs
declared as a count-only GRES, accounting enforced (``associations,limits``). Everything lives
in one temporary folder and listens on 127.0.0.1; the clients (``sacctmgr``, ``sbatch``,
``sacct``) find it through ``SLURM_CONF``. Without the binaries the test is skipped on a laptop
and fails under CI.

``SLURM_TEST_PORT_BASE`` (four consecutive ports from it) pins the ports, for a shared machine
where each developer has a range; otherwise free ports are taken.

Run ``python -m tests.slurm_cluster`` to start one and keep it up (Ctrl-C stops it), printing the
``SLURM_CONF`` to export, to try ``sacctmgr`` by hand.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.processes import free_port

TIMEOUT = 90
BINARIES = (
    "munged",
    "mariadb-install-db",
    "mariadbd",
    "slurmdbd",
    "slurmctld",
    "slurmd",
    "sacctmgr",
    "sbatch",
    "sacct",
)
SBIN = ("/usr/sbin", "/usr/bin")
CLUSTER = "portaltest"
NODE = "node1"
GPUS = 4
CPUS = 4
# A local Unix account that submits jobs as a member of an organisation would.
MEMBER_LOGIN = "portalmember"


def binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(folder) / name) for folder in SBIN if (Path(folder) / name).exists()), None
    )
    if found is None:
        message = f"{name} is not installed (apt-get install slurm-wlm slurmdbd munge mariadb-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/run installs them")
        pytest.skip(message)
    return found


def _ports() -> list[int]:
    base = os.environ.get("SLURM_TEST_PORT_BASE")
    if base:
        return [int(base) + offset for offset in range(4)]
    ports: list[int] = []
    while len(ports) < 4:  # four different ones: a port just closed may be handed out again
        if (port := free_port()) not in ports:
            ports.append(port)
    return ports


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class SlurmCluster:
    root: Path
    env: dict[str, str]
    cluster: str = CLUSTER
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    def run(
        self, *command: str, user: str | None = None, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess:
        """A Slurm client command against this cluster (as ``user``, a local login, if given)."""
        argv = list(command)
        if user is not None:
            argv = ["runuser", "-u", user, "--", *argv]
        result = subprocess.run(argv, env={**self.env, **env}, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} exited {result.returncode}: {result.stdout}{result.stderr}")
        return result

    def log(self, daemon: str) -> str:
        path = self.root / "log" / f"{daemon}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(
            f"--- {name}\n{self.log(name)[-3000:]}" for name in ("munged", "mariadb", "slurmdbd", "slurmctld", "slurmd")
        )

    def wait_until(self, condition, what: str, timeout: float = TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise AssertionError(f"{what}: {name} exited ({process.returncode}):\n{self.logs()}")
            try:
                if result := condition():
                    return result
            except (OSError, subprocess.SubprocessError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"not {what} after {timeout} s:\n{self.logs()}")
            time.sleep(0.3)


def ensure_member_login() -> str:
    """The local Unix account ``MEMBER_LOGIN`` (made once; jobs run as it)."""
    try:
        pwd.getpwnam(MEMBER_LOGIN)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", MEMBER_LOGIN], check=True)
    return MEMBER_LOGIN


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text)
    path.chmod(mode)


def _start(stack: ExitStack, cluster: SlurmCluster, name: str, command: list[str]) -> subprocess.Popen:
    output = (cluster.root / "log" / f"{name}.out").open("w")
    process = subprocess.Popen(
        command, env=cluster.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    output.close()
    cluster.processes[name] = process

    def stop() -> None:
        cluster.processes.pop(name, None)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                # The folder goes with them: a daemon slow to save its state is not waited for.
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    stack.callback(stop)
    return process


@contextmanager
def slurm_cluster(root: Path | None = None) -> Iterator[SlurmCluster]:
    """Start the cluster (about 10 s); stop every daemon and remove its folder at the end."""
    paths = {name: binary(name) for name in BINARIES}
    ensure_member_login()
    with ExitStack() as stack:
        if root is None:
            # Short: munge's and MariaDB's sockets must fit in a sockaddr_un (108 bytes).
            root = Path(tempfile.mkdtemp(prefix="slurm-"))
            stack.callback(shutil.rmtree, root, ignore_errors=True)
        for folder in ("etc", "log", "run", "state", "spool", "munge", "mysql"):
            (root / folder).mkdir(mode=0o755, exist_ok=True)
        root.chmod(0o755)  # the member's jobs run in the spool
        ctld_port, slurmd_port, dbd_port, mysql_port = _ports()
        for port in (ctld_port, slurmd_port, dbd_port, mysql_port):
            if _listening(port):
                raise AssertionError(f"port {port} is taken (SLURM_TEST_PORT_BASE)")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin",
            "HOME": str(root),
            "LANG": "C.UTF-8",
            "SLURM_CONF": str(root / "etc" / "slurm.conf"),
        }
        cluster = SlurmCluster(root=root, env=env)
        munge_socket = root / "munge" / "munge.sock"

        # munged: a key of its own, its own socket; as root it needs --force.
        key = root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        _start(
            stack,
            cluster,
            "munged",
            [
                paths["munged"],
                "--foreground",
                "--force",
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--pid-file={root / 'run' / 'munged.pid'}",
                f"--log-file={root / 'log' / 'munged.log'}",
                f"--seed-file={root / 'munge' / 'munge.seed'}",
            ],
        )
        cluster.wait_until(munge_socket.exists, "munged listening")
        # The member's jobs reach the socket too.
        (root / "munge").chmod(0o755)

        # MariaDB: a data folder of its own, its socket and port.
        datadir = root / "mysql" / "data"
        mysql_socket = root / "mysql" / "mysqld.sock"
        subprocess.run(
            [
                paths["mariadb-install-db"],
                "--no-defaults",
                f"--datadir={datadir}",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
        _start(
            stack,
            cluster,
            "mariadb",
            [
                paths["mariadbd"],
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={mysql_socket}",
                f"--port={mysql_port}",
                "--bind-address=127.0.0.1",
                "--user=root",
                f"--pid-file={root / 'run' / 'mysqld.pid'}",
                f"--log-error={root / 'log' / 'mariadb.log'}",
                "--innodb-buffer-pool-size=64M",
                "--innodb-lock-wait-timeout=900",
                "--skip-name-resolve",
            ],
        )
        cluster.wait_until(lambda: _listening(mysql_port), "MariaDB listening")
        subprocess.run(
            [
                shutil.which("mariadb") or "mariadb",
                "--no-defaults",
                f"--socket={mysql_socket}",
                "-uroot",
                "-e",
                "CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';"
                " GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';",
            ],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
        )

        node = f"NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={socket.gethostname()} CPUs={CPUS} RealMemory=1000"
        node += f" Gres=gpu:{GPUS} State=UNKNOWN"
        auth = f"AuthType=auth/munge\nAuthInfo=socket={munge_socket}\n"
        _write(
            root / "etc" / "slurmdbd.conf",
            auth
            + f"""DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort={dbd_port}
SlurmUser=root
PidFile={root / "run" / "slurmdbd.pid"}
LogFile={root / "log" / "slurmdbd.log"}
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort={mysql_port}
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
""",
            0o600,
        )
        _write(
            root / "etc" / "slurm.conf",
            auth
            + f"""ClusterName={CLUSTER}
SlurmctldHost={socket.gethostname()}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
CredType=cred/munge
StateSaveLocation={root / "state"}
SlurmdSpoolDir={root / "spool"}
SlurmctldPidFile={root / "run" / "slurmctld.pid"}
SlurmdPidFile={root / "run" / "slurmd.pid"}
SlurmctldLogFile={root / "log" / "slurmctld.log"}
SlurmdLogFile={root / "log" / "slurmd.log"}
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort={dbd_port}
AccountingStoragePass={munge_socket}
AccountingStorageEnforce=associations,limits
AccountingStorageTRES=gres/gpu
JobCompType=jobcomp/none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=10
KillWait=2
InactiveLimit=0
MailProg=/bin/true
{node}
PartitionName=gpu Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""",
        )
        # Slurm 22.05 drops a GPU GRES without device files ("Removing file-less GPU"), so each
        # GPU is a name for /dev/null: nothing opens it (no cgroup device constraint), Slurm only
        # counts and hands them out.
        (root / "dev").mkdir(exist_ok=True)
        for index in range(GPUS):
            (root / "dev" / f"gpu{index}").symlink_to("/dev/null")
        _write(root / "etc" / "gres.conf", f"Name=gpu File={root / 'dev'}/gpu[0-{GPUS - 1}]\n")

        _start(stack, cluster, "slurmdbd", [paths["slurmdbd"], "-D"])
        cluster.wait_until(lambda: _listening(dbd_port), "slurmdbd listening")
        # The cluster is registered before the controller first reports to slurmdbd.
        cluster.run(paths["sacctmgr"], "-i", "add", "cluster", CLUSTER, check=False)
        _start(stack, cluster, "slurmctld", [paths["slurmctld"], "-D", "-i"])
        cluster.wait_until(lambda: _listening(ctld_port), "slurmctld listening")
        _start(stack, cluster, "slurmd", [paths["slurmd"], "-D", "-N", NODE])
        cluster.wait_until(
            lambda: "idle" in cluster.run("sinfo", "-h", "-o", "%t", check=False).stdout, "the node idle"
        )
        yield cluster


if __name__ == "__main__":
    with slurm_cluster() as running_cluster:
        print(f"export SLURM_CONF={running_cluster.conf}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)
