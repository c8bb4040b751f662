"""tests/forked_snakemake.py: a run forked from the worker's Snakemake server is a process of its own, as a
``python -m snakemake`` subprocess is (its pid, folder, environment, output, exit and process group)."""

import json
import os
import re
import signal
import subprocess
import sys
import time

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
