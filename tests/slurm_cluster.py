"""A one-node SLURM cluster on 127.0.0.1, run as the test's own processes.

Installs nothing: it uses Debian's ``slurm-wlm`` and ``munge`` packages when they
are there (``SlurmCluster.missing()`` names what is not). munged, slurmctld and
slurmd are started in the foreground with everything in one temporary folder
(config, munge key and socket, state, spool, logs) and ports chosen free, and
are stopped by PID at the end; the system's /etc is neither read nor written.

The jobstep plugin (snakemake-executor-plugin-slurm-jobstep) drops ``SLURM_CONF``
before the ``srun`` it runs inside each job, and this cluster's configuration is
found only through ``SLURM_CONF``: a small ``srun`` wrapper first in ``PATH``
(:attr:`SlurmCluster.env`) puts it back.
"""

import contextlib
import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import time

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("munge", "sbatch", "srun", "squeue", "scancel", "sinfo", "scontrol")


def _which(name):
    return shutil.which(name, path=SBIN)


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """\
# a one-node test cluster (tests/slurm_cluster.py)
ClusterName=chromapipe-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
TmpFS={root}/tmp
PlugStackConfig={root}/plugstack.conf
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# jobs stay visible to squeue this long after they end (the plugin's status queries)
MinJobAge=600
# seconds between SIGTERM and SIGKILL when a job is cancelled
KillWait=2
ReturnToService=2
# the node as declared here, whatever the machine has (jobs ask for up to 2 CPUs, 4 GB)
SlurmdParameters=config_overrides
NodeName=node1 NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=8 RealMemory=16384 State=UNKNOWN
PartitionName=debug Nodes=node1 Default=YES MaxTime=INFINITE State=UP
"""

SRUN_WRAPPER = """\
#!/bin/sh
# the test cluster's configuration, which the jobstep plugin drops before srun
SLURM_CONF={conf}
export SLURM_CONF
exec {srun} "$@"
"""


class SlurmCluster:
    """``with SlurmCluster(folder) as cluster:`` a running one-node cluster."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.conf = os.path.join(self.root, "slurm.conf")
        self.bin = os.path.join(self.root, "bin")
        self.processes = {}

    @staticmethod
    def missing():
        """The SLURM and munge programs this machine lacks (empty when all are there)."""
        return [name for name in DAEMONS + CLIENTS if _which(name) is None]

    @property
    def env(self):
        """The environment of a client of this cluster (sbatch, squeue, snakemake)."""
        path = os.pathsep.join([self.bin, os.environ.get("PATH", "")])
        return {**os.environ, "SLURM_CONF": self.conf, "PATH": path}

    @property
    def controller_log(self):
        return os.path.join(self.root, "slurmctld.log")

    def run(self, *command, check=True):
        """A SLURM client command against this cluster."""
        return subprocess.run(list(command), env=self.env, capture_output=True, text=True, check=check, timeout=60)

    def submissions(self):
        """How many batch jobs were submitted (slurmctld logs one line per sbatch)."""
        with open(self.controller_log, encoding="utf-8", errors="replace") as handle:
            return sum("_slurm_rpc_submit_batch_job" in line for line in handle)

    def jobs(self):
        """``{job id: (name, state)}`` of every job squeue still knows (MinJobAge keeps ended ones)."""
        out = self.run("squeue", "--states=all", "--noheader", "--format=%i|%j|%T").stdout
        return {i: (name, state) for i, name, state in (line.split("|") for line in out.split())}

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self):
        for sub in ("munge", "state", "spool", "tmp", "bin"):
            os.makedirs(os.path.join(self.root, sub), mode=0o700, exist_ok=True)
        munge = os.path.join(self.root, "munge")
        key = os.path.join(munge, "munge.key")
        with open(key, "wb") as handle:
            handle.write(os.urandom(1024))
        os.chmod(key, 0o400)
        with open(os.path.join(self.root, "plugstack.conf"), "w", encoding="utf-8") as handle:
            handle.write("")
        with open(self.conf, "w", encoding="utf-8") as handle:
            handle.write(
                CONFIG.format(root=self.root, user=getpass.getuser(), ctld_port=free_port(), slurmd_port=free_port())
            )
        srun = os.path.join(self.bin, "srun")
        with open(srun, "w", encoding="utf-8") as handle:
            handle.write(SRUN_WRAPPER.format(conf=self.conf, srun=_which("srun")))
        os.chmod(srun, 0o755)

        socket_path = os.path.join(munge, "munge.socket")
        self._spawn(
            "munged",
            [
                _which("munged"), "--foreground", "--force", f"--socket={socket_path}", f"--key-file={key}",
                f"--log-file={munge}/munged.log", f"--pid-file={munge}/munged.pid", f"--seed-file={munge}/munged.seed",
            ],
        )  # fmt: skip
        self._wait(lambda: self._munge_works(socket_path), "munged to answer")
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i", "-f", self.conf])
        self._wait(lambda: self.run("scontrol", "ping", check=False).returncode == 0, "slurmctld to answer")
        self._spawn("slurmd", [_which("slurmd"), "-D", "-N", "node1", "-f", self.conf])
        self._wait(self._node_idle, "node1 to be idle")

    def _spawn(self, name, command):
        log = open(os.path.join(self.root, f"{name}.out"), "wb")  # noqa: SIM115 (closed in stop)
        self.processes[name] = (
            subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True),
            log,
        )

    def _munge_works(self, socket_path):
        encoded = subprocess.run([_which("munge"), "-n", "-S", socket_path], capture_output=True)
        return encoded.returncode == 0 and encoded.stdout.startswith(b"MUNGE:")

    def _node_idle(self):
        result = self.run("sinfo", "--noheader", "--format=%T", check=False)
        return result.returncode == 0 and result.stdout.strip() == "idle"

    def _wait(self, ready, what, timeout=60):
        """Poll until ``ready()``; a daemon that died or a time-out is an error naming its log."""
        deadline = time.monotonic() + timeout
        while not ready():
            for name, (process, _) in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}) while waiting for {what}: {self._tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out waiting for {what}: {self._tail()}")
            time.sleep(0.2)

    def _tail(self):
        parts = []
        for name in ("munge/munged.log", "slurmctld.log", "slurmd.log", *(f"{n}.out" for n in DAEMONS)):
            path = os.path.join(self.root, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as handle:
                    parts.append(f"--- {name}\n" + "".join(handle.readlines()[-15:]))
        return "\n".join(parts)

    def stop(self):
        """Cancel what is left, then stop slurmd, slurmctld and munged by PID (in that order)."""
        if "slurmctld" in self.processes and self.processes["slurmctld"][0].poll() is None:
            self.run("scancel", "--full", f"--user={getpass.getuser()}", check=False)
        for name in reversed(DAEMONS):
            if name not in self.processes:
                continue
            process, log = self.processes.pop(name)
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


def job_ids_in(text):
    """SLURM job ids the executor plugin reported submitting."""
    return re.findall(r"SLURM jobid (\d+)", text)
