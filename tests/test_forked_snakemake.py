"""tests/forked_snakemake.py: a run forked from the worker's Snakemake server is a process of its own, as a
``python -m snakemake`` subprocess is (its pid, folder, environment, output, exit and process group)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import forked_snakemake

pytestmark = [
    pytest.mark.slow,  # the server imports Snakemake (once per worker)
    pytest.mark.skipif(not forked_snakemake.ENABLED, reason="CHROMAPIPE_TEST_FORKS=0: every run a subprocess"),
]

#: A Snakefile that reports, when Snakemake parses it, what its process sees, and then does what the
#: ``PROBE_DO`` variable says; one rule with nothing to do.
PROBE = """
import json, os, subprocess, sys, time
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

seen = {
    "pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0), "cwd": os.getcwd(), "argv": sys.argv,
    "probe": os.environ.get("PROBE"), "leak": os.environ.get("PROBE_LEAK"), "path0": sys.path[0],
    "aws": os.environ.get("AWS_REQUEST_CHECKSUM_CALCULATION"), "sleep": RemoteExecutor.sleep.__module__,
}
os.environ["PROBE_LEAK"] = "set by a run"
with open(os.environ["PROBE_OUT"], "w") as out:
    json.dump(seen, out)
print("to stdout from the run", flush=True)
print("to stderr from the run", file=sys.stderr, flush=True)
subprocess.run(["sh", "-c", "echo to stdout from a subprocess of the run"])
todo = os.environ.get("PROBE_DO")
if todo == "crash":
    os.abort()
if todo == "exit":
    os._exit(7)
if todo == "hang":
    child = subprocess.Popen(["sleep", "600"])
    with open(os.environ["PROBE_OUT"] + ".child", "w") as out:
        out.write(str(child.pid))
    time.sleep(600)


rule all:
    input: []
"""


def probe(tmp_path, todo=None, timeout=120, quick_polls=False, **env):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(PROBE)
    seen = tmp_path / "seen.json"
    env = {**os.environ, "PROBE_OUT": str(seen), **({"PROBE_DO": todo} if todo else {}), **env}
    args = ["-s", snakefile, "--cores", "1", "-n"]
    result = forked_snakemake.run(args, cwd=tmp_path, env=env, timeout=timeout, quick_polls=quick_polls)
    return result, (json.loads(seen.read_text()) if seen.exists() else None)


def test_each_run_is_a_process_of_its_own_in_its_folder_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PROBE", "the worker's")
    monkeypatch.delenv("PROBE_LEAK", raising=False)
    server = forked_snakemake.server().process.pid
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, seen = probe(tmp_path / "a")
    assert first.returncode == 0, first.stdout + first.stderr
    second, again = probe(tmp_path / "b", PROBE="the caller's env", AWS_REQUEST_CHECKSUM_CALCULATION="when_supported")
    assert second.returncode == 0, second.stdout + second.stderr
    assert len({os.getpid(), server, seen["pid"], again["pid"]}) == 4  # the worker, the server and two runs
    assert seen["ppid"] != server and seen["pgid"] == seen["pid"]  # under a waiter, in a process group of its own
    assert seen["cwd"] == str(tmp_path / "a") == seen["path0"] and again["cwd"] == str(tmp_path / "b")
    assert seen["argv"][0].endswith(os.path.join("snakemake", "__main__.py"))  # as `python -m snakemake` sets it
    assert seen["probe"] == "the worker's" and again["probe"] == "the caller's env"  # env=None: the worker's now
    # what a run sets stays in it: not in the next run, not in the worker
    assert seen["leak"] is None and again["leak"] is None and "PROBE_LEAK" not in os.environ
    # what the S3 plugin's import sets, as in a fresh process (whatever the caller's environment held)
    assert seen["aws"] == again["aws"] == "when_required"
    # stdout and stderr are the run's files at the descriptor level: its subprocesses write there too
    assert first.stdout.count("to stdout from the run\n") == 1
    assert "to stdout from a subprocess of the run\n" in first.stdout
    assert "to stderr from the run\n" in first.stderr and "to stdout" not in first.stderr
    assert first.args[:3] == [sys.executable, "-m", "snakemake"]


def test_the_quick_polls_patch_holds_in_its_run_only(tmp_path):
    for name, quick in (("quick", True), ("plain", False), ("again", True)):
        (tmp_path / name).mkdir()
        result, seen = probe(tmp_path / name, quick_polls=quick)
        assert result.returncode == 0, result.stdout + result.stderr
        assert (seen["sleep"] == "quick_polls") is quick, seen
        assert seen["argv"][0] == "snakemake" if quick else seen["argv"][0].endswith("__main__.py")
    from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor

    assert RemoteExecutor.sleep.__module__ != "quick_polls"  # never in the worker


def test_a_crash_or_an_exit_is_the_runs_status_and_the_server_serves_on(tmp_path):
    server = forked_snakemake.server()
    for todo, status in (("crash", -signal.SIGABRT), ("exit", 7)):
        (tmp_path / todo).mkdir()
        result, seen = probe(tmp_path / todo, todo)
        assert result.returncode == status, result.stdout + result.stderr
        assert "to stdout from a subprocess of the run" in result.stdout  # what it wrote before it ended
    assert server.process.poll() is None and forked_snakemake.server() is server
    (tmp_path / "after").mkdir()
    result, _ = probe(tmp_path / "after")
    assert result.returncode == 0, result.stdout + result.stderr
    failed = forked_snakemake.run(["-s", tmp_path / "missing.smk", "-n"], cwd=tmp_path)  # Snakemake's own error
    assert failed.returncode == 1 and 'missing.smk" not found' in failed.stdout + failed.stderr


def test_a_timeout_kills_the_runs_process_group(tmp_path):
    with pytest.raises(subprocess.TimeoutExpired) as timed_out:
        probe(tmp_path, "hang", timeout=10)  # its Snakefile is read in well under a second
    assert "to stdout from the run" in timed_out.value.output  # what it wrote, as subprocess.run gives it
    child = int((tmp_path / "seen.json.child").read_text())
    for _ in range(200):  # the kill is sent; the job's process ends as the kernel gets to it
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as stat:  # a zombie waiting for init to reap it is dead too
            if stat.read().split(") ")[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        pytest.fail(f"the run's subprocess {child} outlived the timeout's kill")


def test_popen_streams_the_output_and_its_group_can_be_killed(tmp_path):
    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(PROBE)
    env = {**os.environ, "PROBE_OUT": str(tmp_path / "seen.json"), "PROBE_DO": "hang"}
    run = forked_snakemake.popen(["-s", snakefile, "-n"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)  # fmt: skip
    lines = [run.stdout.readline()]
    while lines[-1] not in ("to stdout from a subprocess of the run\n", ""):  # its last line before it hangs
        lines.append(run.stdout.readline())
    assert lines == ["to stdout from the run\n", "to stderr from the run\n", lines[-1]]  # stderr=STDOUT: one stream
    assert run.poll() is None  # hanging
    os.killpg(run.pid, signal.SIGKILL)
    assert run.wait(timeout=60) == -signal.SIGKILL
    assert run.communicate(timeout=60) == ("", None)


def printed(text):
    """The lines of a Snakemake run's output, sorted, without what differs between any two runs: the time, the
    run's id, and the order of the jobs and of the files a line lists (sets, ordered by each process's hash seed)."""
    lines = []
    for line in text.splitlines():
        if re.match(r"  (Date|Workflow ID): ", line):
            continue
        line = re.sub(r"^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]$", "[time]", line)
        lines.append(" | ".join(sorted(re.split(r"[:;,] ", line))))
    return sorted(lines)


def test_a_forked_run_prints_what_a_subprocess_prints(tmp_path):
    """The same dry run of the workflow, forked and as a real subprocess: the same plan, the same output."""
    from test_workflow import PROFILE, SNAKEFILE, example_config

    configfile = example_config(tmp_path)
    args = ["-s", SNAKEFILE, "--directory", tmp_path, "--profile", PROFILE, "-n", "--configfile", configfile]
    forked = forked_snakemake.run(args, cwd=tmp_path)
    real = subprocess.run([sys.executable, "-m", "snakemake", *map(str, args)], cwd=tmp_path, capture_output=True,
                          text=True)  # fmt: skip
    assert forked.returncode == real.returncode == 0, forked.stdout + forked.stderr
    assert f"  Run directory: {tmp_path}" in forked.stdout.splitlines()
    assert printed(forked.stdout) == printed(real.stdout)
    assert printed(forked.stderr) == printed(real.stderr)
    assert len(printed(forked.stdout)) > 300


#: A Snakefile that writes, when Snakemake parses it, what a Batch job's ``python -m snakemake`` sees.
BATCH_PROBE = """
import json, os, sys

seen = {
    "argv": sys.argv, "cwd": os.getcwd(), "path": sys.path, "executable": sys.executable,
    "env": {k: v for k, v in os.environ.items() if k != "_"}, "forked": "quick_polls" in sys.modules,
    "stdin": sys.stdin.read(),
}
with open("seen.json", "w") as out:
    json.dump(seen, out)
print("to stdout from the job's Snakemake", flush=True)
print("to stderr from the job's Snakemake", file=sys.stderr, flush=True)
if os.environ.get("PROBE_DO") == "exit":
    os._exit(7)
if os.environ.get("PROBE_DO") == "hang":
    with open("hanging", "w") as out:
        out.write(str(os.getpid()))
    import time

    time.sleep(600)


rule all:
    input: []
"""


def batch_job(batch, command, environment=(), timeout=120):
    """Submit ``/bin/bash -c command`` to the Batch stand-in (its API, no HTTP) and wait for it: the ended job."""
    definition = {"jobDefinitionName": "probe", "containerProperties": {
        "command": ["/bin/bash", "-c", command], "environment": [{"name": k, "value": v} for k, v in environment]}}  # fmt: skip
    arn = batch.register_job_definition(definition)["jobDefinitionArn"]
    job = batch.jobs[batch.submit_job({"jobName": "probe", "jobQueue": "q", "jobDefinition": arn})["jobId"]]
    deadline = time.monotonic() + timeout
    while job.status not in ("SUCCEEDED", "FAILED") and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


def test_a_batch_jobs_snakemake_forked_runs_its_argv_env_folder_and_streams_exactly(tmp_path):
    """tests/batch_server.py forks a job's ``python -m snakemake`` from the worker's server (forked_snakemake.Relay):
    the run sees the very argv, sys.path, interpreter, folder, environment and stdin that the same command exec'd
    by the job's shell (``forked=False``) sees, writes to the job's output, and ends with its status."""
    from batch_server import BatchStandIn

    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(BATCH_PROBE)
    command = f"echo from the precommand && echo stdin of the job | python -m snakemake -s {snakefile} --cores 1 -n"
    seen, jobs = {}, {}
    for forked in (True, False):
        with BatchStandIn(tmp_path / f"batch-{forked}", {"JOB_ROLE": "r"}, Path(sys.executable).parent,
                          forked=forked) as batch:  # fmt: skip
            jobs[forked] = job = batch_job(batch, command, [("FROM_DEFINITION", "d")])
            assert job.status == "SUCCEEDED", job.output
            seen[forked] = json.loads((job.workdir / "seen.json").read_text())
            assert (batch.relay.relayed if forked else batch.relay) == (1 if forked else None)
            exit_job = batch_job(batch, command, [("PROBE_DO", "exit")])
            assert (exit_job.status, exit_job.exit_code) == ("FAILED", 7), exit_job.output
    assert seen[True].pop("forked") and not seen[False].pop("forked")  # forked, and exec'd: the same run otherwise
    for forked in (True, False):  # the job's own folder: the one difference, and HOME (set to it)
        workdir = str(jobs[forked].workdir)
        assert seen[forked]["cwd"] == workdir == seen[forked]["env"]["HOME"]
        assert seen[forked]["env"]["PWD"] == workdir
        seen[forked] = json.loads(json.dumps(seen[forked]).replace(workdir, "WORKDIR"))
        seen[forked]["env"]["PATH"] = seen[forked]["env"]["PATH"].replace(f"batch-{forked}", "batch")
    assert seen[True] == seen[False], (seen[True], seen[False])
    assert seen[True]["argv"][1:] == ["-s", str(snakefile), "--cores", "1", "-n"] and seen[True]["stdin"] == (
        "stdin of the job\n"
    )
    assert seen[True]["env"]["FROM_DEFINITION"] == "d" and seen[True]["env"]["JOB_ROLE"] == "r"
    for job in jobs.values():
        assert "from the precommand" in job.output and "to stdout from the job's Snakemake" in job.output
        assert "to stderr from the job's Snakemake" in job.output


def test_a_killed_batch_job_kills_its_forked_snakemake(tmp_path):
    """TerminateJob kills the job's process group; the forked run is in a group of its own, under the server: its
    waiter sees the shim's end close and kills it."""
    from batch_server import BatchStandIn

    snakefile = tmp_path / "Snakefile"
    snakefile.write_text(BATCH_PROBE)
    with BatchStandIn(tmp_path / "batch", {}, Path(sys.executable).parent) as batch:
        definition = {"jobDefinitionName": "hang", "containerProperties": {
            "command": ["/bin/bash", "-c", f"python -m snakemake -s {snakefile} --cores 1 -n"],
            "environment": [{"name": "PROBE_DO", "value": "hang"}]}}  # fmt: skip
        arn = batch.register_job_definition(definition)["jobDefinitionArn"]
        job = batch.jobs[batch.submit_job({"jobName": "hang", "jobQueue": "q", "jobDefinition": arn})["jobId"]]
        deadline = time.monotonic() + 120
        while not (job.workdir and (job.workdir / "hanging").exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int((job.workdir / "hanging").read_text())
        assert batch.relay.relayed == 1
        batch.terminate_job({"jobId": job.job_id})
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
