"""An AWS Batch stand-in that really runs the jobs, on 127.0.0.1.

It speaks the five calls snakemake-executor-plugin-aws-batch makes (boto3's
REST-JSON protocol: ``POST /v1/<operation>``): RegisterJobDefinition, SubmitJob,
DescribeJobs, TerminateJob and DeregisterJobDefinition. Point boto3 at it with
``AWS_ENDPOINT_URL_BATCH``.

Each submitted job runs its job definition's container command
(``/bin/bash -c CMD``) as a subprocess, in a fresh empty folder, with only the job
definition's environment plus what the tests give every job (the S3 endpoint and
the credentials a job role would give). ``pip`` on the job's PATH is a wrapper that
records the call and runs the real pip against a closed port on 127.0.0.1 with no
configuration file, so any install from a package index fails, as in a subnet
without internet. Failures can be injected: the first ``times`` jobs whose command
matches a pattern end FAILED without running (as when Batch loses the instance).

A job's ``python -m snakemake ...`` (the plugin's command, after the profile's precommand) runs, by default,
as a fork of the test worker's preloaded Snakemake (tests/forked_snakemake.py's :class:`Relay`: a ``python``
first on the job's PATH hands the command line, folder, environment and standard streams to the worker's
server): the same command run without ~2.4 s of CPU importing Snakemake and its plugins in each job.
``forked=False`` runs it by exec in a fresh interpreter, as the image does.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import forked_snakemake

ACCOUNT = "123456789012"

PIP_WRAPPER = """#!/bin/sh
echo "$*" >> "{log}"
exec "{pip}" --isolated --retries 0 --timeout 2 --index-url http://127.0.0.1:{port}/simple "$@"
"""


def closed_port():
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Job:
    job_id: str
    name: str
    queue: str
    definition: dict
    status: str = "SUBMITTED"
    exit_code: int | None = None
    reason: str | None = None
    workdir: Path | None = None
    environment: dict = field(default_factory=dict)
    output: str = ""
    process: subprocess.Popen | None = None
    seconds: float | None = None  # how long the command ran (for reports; never asserted)

    @property
    def command(self):
        return self.definition["containerProperties"]["command"]


class BatchStandIn:
    """``with BatchStandIn(root, extra_env) as batch:`` ... ``batch.url``, ``batch.jobs``.

    Parameters
    ----------
    root : Path
        Where the jobs' empty folders are made.
    extra_env : dict
        Added to every job's environment (the S3 endpoint, the job role's credentials).
    python_bin : str
        The folder holding the ``python`` the image would have (put on the jobs' PATH).
    max_running : int
        Jobs running at once (the rest wait RUNNABLE).
    forked : bool
        Whether the jobs' ``python -m snakemake`` is forked from the worker's Snakemake server (see above).
    """

    def __init__(self, root, extra_env, python_bin, max_running=2, forked=True):
        self.root = Path(root)
        self.extra_env = dict(extra_env)
        self.python_bin = str(python_bin)
        self.definitions = {}  # arn -> definition
        self.jobs = {}  # id -> Job
        self.calls = []  # operation names, in order
        self.failures = []  # [pattern, times left, reason]
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(max_running)
        self.forked = forked
        self.relay = None  # forked: the worker's relay, while the stand-in runs
        self._stack = ExitStack()
        self.bin = self.root / "bin"
        self.pip_log = self.root / "pip-calls.log"
        handler = type("Handler", (_Handler,), {"batch": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.bin.mkdir(parents=True, exist_ok=True)
        for name in ("pip", "pip3"):
            wrapper = self.bin / name
            wrapper.write_text(
                PIP_WRAPPER.format(log=self.pip_log, pip=os.path.join(self.python_bin, "pip"), port=closed_port())
            )
            wrapper.chmod(0o755)
        if self.forked:
            self.relay = self._stack.enter_context(forked_snakemake.Relay())
            self.relay.write_shim(self.bin)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        for job in list(self.jobs.values()):
            self._kill(job)
        self._stack.close()

    def fail(self, pattern, times=1, reason="Host EC2 (instance i-0standin) terminated."):
        """The next ``times`` jobs whose command matches ``pattern`` end FAILED without running."""
        self.failures.append([re.compile(pattern), times, reason])

    def job_environment(self, definition):
        """What a job's process sees: the definition's variables, the tests' extras, a PATH, nothing else."""
        env = {e["name"]: e["value"] for e in definition["containerProperties"].get("environment", [])}
        env.update(self.extra_env)
        env["PATH"] = os.pathsep.join([str(self.bin), self.python_bin, "/usr/bin", "/bin"])
        return env

    def pip_calls(self):
        return self.pip_log.read_text().splitlines() if self.pip_log.exists() else []

    # --- the API --------------------------------------------------------------------

    def register_job_definition(self, body):
        name = body["jobDefinitionName"]
        with self.lock:
            revision = 1 + sum(1 for d in self.definitions.values() if d["jobDefinitionName"] == name)
            arn = f"arn:aws:batch:us-west-2:{ACCOUNT}:job-definition/{name}:{revision}"
            self.definitions[arn] = {**body, "jobDefinitionArn": arn, "revision": revision, "status": "ACTIVE"}
        return {"jobDefinitionName": name, "jobDefinitionArn": arn, "revision": revision}

    def _definition(self, reference):
        for arn, definition in self.definitions.items():
            if reference in (arn, f"{definition['jobDefinitionName']}:{definition['revision']}"):
                return definition
        raise KeyError(reference)

    def submit_job(self, body):
        definition = self._definition(body["jobDefinition"])
        job = Job(uuid.uuid4().hex, body["jobName"], body["jobQueue"], definition)
        job.environment = self.job_environment(definition)
        with self.lock:
            self.jobs[job.job_id] = job
            failure = next((f for f in self.failures if f[1] > 0 and f[0].search(job.command[-1])), None)
            if failure:
                failure[1] -= 1
        if failure:
            job.status, job.exit_code, job.reason = "FAILED", None, failure[2]
        else:
            job.status = "RUNNABLE"
            threading.Thread(target=self._run, args=(job,), daemon=True).start()
        arn = f"arn:aws:batch:us-west-2:{ACCOUNT}:job/{job.job_id}"
        return {"jobArn": arn, "jobName": job.name, "jobId": job.job_id}

    def _run(self, job):
        with self.slots:
            if job.status != "RUNNABLE":
                return
            job.workdir = Path(tempfile.mkdtemp(prefix="job-", dir=self.root))
            job.environment["HOME"] = str(job.workdir)
            job.status = "RUNNING"
            job.process = subprocess.Popen(
                job.command,  # ["/bin/bash", "-c", CMD]
                cwd=job.workdir,
                env=job.environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            started = time.monotonic()
            job.output, _ = job.process.communicate()
            job.seconds = time.monotonic() - started
            job.exit_code = job.process.returncode
            if job.status == "RUNNING":
                job.status = "SUCCEEDED" if job.exit_code == 0 else "FAILED"
                job.reason = None if job.exit_code == 0 else "Essential container in task exited"
            shutil.rmtree(job.workdir / ".snakemake", ignore_errors=True)

    def describe_jobs(self, body):
        described = []
        for job_id in body["jobs"]:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            item = {
                "jobName": job.name,
                "jobId": job.job_id,
                "jobQueue": job.queue,
                "status": job.status,
                "jobDefinition": job.definition["jobDefinitionArn"],
                "container": {"exitCode": job.exit_code} if job.exit_code is not None else {},
            }
            if job.reason:
                item["statusReason"] = job.reason
            described.append(item)
        return {"jobs": described}

    def terminate_job(self, body):
        job = self.jobs[body["jobId"]]
        if job.status in ("SUBMITTED", "RUNNABLE", "RUNNING"):
            job.status, job.reason = "FAILED", body.get("reason", "terminated")
            self._kill(job)
        return {}

    def deregister_job_definition(self, body):
        self._definition(body["jobDefinition"])["status"] = "INACTIVE"
        return {}

    def _kill(self, job):
        if job.process is not None and job.process.poll() is None:
            os.killpg(job.process.pid, signal.SIGKILL)


class _Handler(BaseHTTPRequestHandler):
    batch: BatchStandIn
    OPERATIONS = {
        "/v1/registerjobdefinition": "register_job_definition",
        "/v1/submitjob": "submit_job",
        "/v1/describejobs": "describe_jobs",
        "/v1/terminatejob": "terminate_job",
        "/v1/deregisterjobdefinition": "deregister_job_definition",
    }

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        operation = self.OPERATIONS.get(self.path)
        if operation is None:
            return self._send(400, {"__type": "ClientException", "message": f"unknown operation {self.path}"})
        self.batch.calls.append(operation)
        try:
            answer = getattr(self.batch, operation)(body)
        except KeyError as exc:
            return self._send(400, {"__type": "ClientException", "message": f"not found: {exc}"})
        self._send(200, answer)

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
