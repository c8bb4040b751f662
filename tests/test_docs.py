"""Every shell command README.md and config/README.md show runs as shown on the shipped example.

The commands are read from the documents' ``bash``/``sh``/``shell``/``console`` code blocks (a
``$ `` prompt is taken off; ``\\`` continuations are joined; ``export`` lines set the environment
of the block's later commands), so a command added to either README is picked up here. They run
in document order in one fresh copy of the repository's tracked files (the results of one feed
the next, as for a user typing them: the example runs once), with the package's virtualenv first
on ``PATH``.

A synopsis (a command-line reference line: ``[--option]``, ``a|b`` alternatives, ``...``) is not a
command: its subcommand's ``--help`` must list every option it shows. The few commands that can
only run elsewhere are listed in :data:`ELSEWHERE`, each with its reason; every entry must match a
shown command (no stale excuses). A dry run of the AWS profile (which the README shows) runs
against moto's S3 server (tests/s3_server.py).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from s3_server import MotoServer, aws_env

REPO = Path(__file__).resolve().parents[1]
DOCS = ("README.md", "config/README.md")
#: A fenced shell block, also indented (inside a list item).
FENCE = re.compile(r"^([ \t]*)```(bash|sh|shell|console)[ \t]*\n(.*?)^[ \t]*```", re.M | re.S)
#: Commands that cannot run here, by a pattern of the command, with the reason.
ELSEWHERE = {
    r"^make test\b": "the test suite itself (this test is part of it)",
    r"--profile profiles/local --configfile config/gsdb\.yaml": "downloads GSDB's structures and dataset archive "
    "and Ensembl's 0.9 GB genome (no internet here); tests/test_gsdb_workflow.py runs the same workflow against "
    "a local stand-in of GSDB's hosts",
    r"--profile profiles/aws(?!.* -n\b)": "submits to a real AWS Batch queue; tests/test_aws.py runs the example "
    "through this profile against stand-ins of S3 and Batch",
    r"--profile profiles/slurm": "needs a SLURM cluster; tests/test_slurm.py runs the example through this profile "
    "on a one-node cluster it starts",
    r"^docker ": "needs a Docker engine and a registry (the image is not built by the tests)",
    r"^aws ": "changes a real AWS Batch job queue",
}


def _strip_comment(line):
    """``line`` without a trailing shell comment (a ``#`` outside quotes, after a blank or at the start)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _open_quote(text):
    """True when ``text`` ends inside a quoted string."""
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return True
    return False


def shown_commands(doc):
    """``[(doc, exports, command)]``: the shell commands of ``doc``'s code blocks, in order.

    ``exports`` are the ``export`` lines shown before the command in its block.
    """
    found = []
    for match in FENCE.finditer((REPO / doc).read_text(encoding="utf-8")):
        indent, kind, body = match.groups()
        lines = [line[len(indent) :] if line.startswith(indent) else line for line in body.splitlines()]
        if kind == "console" or any(line.startswith("$ ") for line in lines):
            lines = [line[2:] for line in lines if line.startswith("$ ")]  # output lines are not commands
        exports, current = [], ""
        for line in lines:
            current += _strip_comment(line).strip() if not _open_quote(current) else line
            if current.endswith("\\"):
                current = current[:-1].rstrip() + " "
                continue
            if _open_quote(current):  # a quoted argument over several lines
                current += "\n"
                continue
            if current.startswith("export "):
                exports.append(current)
            elif current:
                found.append((doc, tuple(exports), current))
            current = ""
    return found


def every_command():
    return [c for doc in DOCS for c in shown_commands(doc)]


def elsewhere(command):
    """The reason ``command`` cannot run here, or None."""
    return next((why for pattern, why in ELSEWHERE.items() if re.search(pattern, command)), None)


def is_synopsis(command):
    """A command-line reference line rather than a command: ``[...]``, ``a|b``, ``...`` or a ``PLACEHOLDER``."""
    words = shlex.split(command)
    return any(w.startswith("[") or "|" in w or w.endswith("...") or re.fullmatch(r"[A-Z][A-Z_]*", w) for w in words)


def test_the_commands_are_found_in_both_documents():
    commands = every_command()
    for doc in DOCS:
        assert [c for d, _, c in commands if d == doc], f"no command found in {doc}"
    shown = [c for _, _, c in commands]
    # the extractor joins continuations, drops comments, keeps quoted arguments whole
    assert "snakemake --profile profiles/local --config legacy=true" in shown
    assert "snakemake --profile profiles/local --config chromosomes=21,X legacy=true" in shown
    assert any(c.endswith("--config 'gsdb={id: ED7265CB, filename: GSE105710_ENCFF063WNA, algorithm: LorDG}' "
                          "chromosomes=21") for c in shown)  # fmt: skip
    assert not [c for c in shown if "#" in c or c.endswith("\\")]
    assert [c for c in shown if c.startswith("aws batch update-job-queue") and c.endswith("]'")]  # one argument
    assert is_synopsis("chromapipe stage SOURCE DEST --kind pdb|contacts|mapping3dmax|bins [--member PATH]")
    assert not is_synopsis("chromapipe gsdb ED7265CB/GSE105710_ENCFF063WNA --algorithm LorDG")
    # every excuse is still needed: each entry matches a command the documents show
    for pattern in ELSEWHERE:
        assert any(re.search(pattern, c) for c in shown), f"ELSEWHERE entry {pattern!r} matches no command"


def _shared_order(entry):
    """Commands that share a run's outputs run side by side: those without ``--config`` first (the example),
    then by their ``--config`` values (``chromosomes=21,X`` before ``chromosomes=21,X legacy=true`` before
    ``legacy=true``: each reruns the least of what the previous one made). Document order otherwise."""
    command = entry[2]
    return (" --config " in command, command.partition(" --config ")[2])


def _cases():
    cases = []
    for doc, exports, command in sorted(every_command(), key=_shared_order):
        why = elsewhere(command)
        marks = [pytest.mark.skip(reason=f"runs elsewhere: {why}")] if why else []
        cases.append(pytest.param(doc, exports, command, marks=marks, id=f"{doc}: {command}"))
    return cases


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A fresh copy of the repository's tracked files, as a git repository, with the package's virtualenv."""
    where = tmp_path_factory.mktemp("docs") / "chromapipe"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True)
    names = [n for n in listed.stdout.split("\0") if n] if listed.returncode == 0 else []
    for name in names or ["Makefile", "pyproject.toml", "README.md", "workflow", "config", "profiles", "containers"]:
        source, target = REPO / name, where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.exists():
            shutil.copy2(source, target)  # (keeps the time: make sees the virtualenv as newer than pyproject.toml)
    (where / ".venv").symlink_to(Path(sys.prefix))  # `make install`'s, as the README's `make run` makes it
    subprocess.run(["git", "init", "-q"], cwd=where, check=True)
    subprocess.run(["git", "add", "-A"], cwd=where, check=True)
    return where


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        yield server


def _environment(exports, command, checkout, request):
    """The environment a user's shell would give ``command``: the virtualenv first on PATH, the exports."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("SNAKEMAKE_PROFILE", None)
    if "profiles/aws" in command:  # the AWS profile's dry run: against moto's S3, fake credentials
        server = request.getfixturevalue("moto")
        env = aws_env(**env, AWS_ENDPOINT_URL_S3=server.url, AWS_ENDPOINT_URL_BATCH="http://127.0.0.1:9")
        values = dict(
            re.findall(r"(\w+)=(\S+)", " ".join(e.removeprefix("export ") for e in exports))
        )  # the bucket the README names, in its region
        client = server.client("s3")
        bucket, region = values["CHROMAPIPE_BUCKET"], values.get("CHROMAPIPE_REGION", "us-west-2")
        if bucket not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    return env


@pytest.mark.slow
@pytest.mark.parametrize(("doc", "exports", "command"), _cases())
def test_every_shown_command_runs_as_shown(doc, exports, command, checkout, request):
    if is_synopsis(command):
        words = shlex.split(command.replace("[", " ").replace("]", " ").replace("|", " "))
        assert words[0] == "chromapipe", f"{doc}: a synopsis of another program: {command}"
        from chromapipe.cli import build_parser

        sub = build_parser()._subparsers._group_actions[0].choices[words[1]]
        options = {o for action in sub._actions for o in action.option_strings}
        shown = {w.split("=")[0] for w in words if w.startswith("-")}
        assert shown <= options, f"{doc}: {command}: not options of chromapipe {words[1]}: {shown - options}"
        return
    script = "\n".join([*exports, command])
    result = subprocess.run(["bash", "-c", script], cwd=checkout, env=_environment(exports, command, checkout, request),
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, f"{doc}: `{command}` failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"


def test_the_module_snakefile_the_readme_shows_is_the_shipped_one():
    """The README's module Snakefile is config/module.smk, which its commands copy into the user's folder."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"^```python\n(.*?)^```", readme, re.M | re.S)
    assert (REPO / "config" / "module.smk").read_text(encoding="utf-8") in shown
    assert any("config/module.smk" in c for _, _, c in shown_commands("README.md"))
