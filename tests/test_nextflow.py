"""Nextflow compatibility: the generated config and the parity of outputs."""

import json
import re
import shutil
import subprocess

import polars as pl
import pytest
import yaml

import forked_snakemake
from chromapipe import nextflow
from chromapipe.annotations.table import read_annotation_table
from chromapipe.beadmap import chromosome_bins, read_bin_map
from chromapipe.deploy import deployment, load_profile
from chromapipe.errors import InputError
from conftest import GSDB, MAPPING, REFERENCE, run_cli
from test_workflow import REPO, snakemake

# The original's aws profile (shared/spec/nextflow-pipeline.md), as `nextflow config -flat` shows it.
ORIGINAL_AWS = {
    "workDir": "s3://chromapipe-data/work",
    "process.executor": "awsbatch",
    "process.queue": "chromapipe-queue-v4",
    "process.container": "h4rrye/chromapipe:with-mdtraj",
    "process.cpus": 2,
    "process.memory": "4 GB",
    "aws.region": "us-west-2",
    "wave.enabled": True,
    "fusion.enabled": True,
}
ORIGINAL_ENV = {
    "CHROMAPIPE_BUCKET": "chromapipe-data",
    "CHROMAPIPE_QUEUE": "chromapipe-queue-v4",
    "CHROMAPIPE_IMAGE": "h4rrye/chromapipe:with-mdtraj",
    "CHROMAPIPE_REGION": "us-west-2",
}


def parse_flat(text):
    """``key = value`` lines -> dict, values as Groovy literals (quoted strings, ints, booleans)."""
    values = {}
    for line in text.splitlines():
        key, value = line.split(" = ", 1)
        values[key] = parse_literal(value)
    return values


def parse_literal(value):
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    match = re.fullmatch(r"'((?:[^'\\]|\\.)*)'", value)
    assert match, f"not a quoted string, number or boolean: {value!r}"
    return re.sub(r"\\(.)", r"\1", match.group(1))


def parse_config(text):
    """A small parser for the generated nextflow.config: nested blocks of `key = literal`.

    Fails on unbalanced braces, unquoted strings and anything else it does not know.
    """
    root, stack = {}, []
    current = root
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name), f"line {number}: bad block name {name!r}"
            child = current.setdefault(name, {})
            stack.append(current)
            current = child
        elif line == "}":
            assert stack, f"line {number}: unbalanced closing brace"
            current = stack.pop()
        else:
            match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.+)", line)
            assert match, f"line {number}: not an assignment: {line!r}"
            current[match.group(1)] = parse_literal(match.group(2))
    assert not stack, "unbalanced braces: a block is not closed"
    return root


def flatten(block, prefix=""):
    out = {}
    for key, value in block.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


@pytest.fixture
def original_settings(monkeypatch):
    for key, value in ORIGINAL_ENV.items():
        monkeypatch.setenv(key, value)


def test_generated_aws_profile_equals_the_originals_key_for_key(original_settings):
    flat = parse_flat(nextflow.flat("aws"))
    aws = {k: v for k, v in flat.items() if not k.startswith("params.")}
    assert aws == ORIGINAL_AWS
    assert not [k for k in flat if "cliPath" in k]  # nothing that needs an AWS CLI
    assert flat["params.outdir"] == "results"
    assert flat["params.chromosomes"] == "19,21,X"  # our defaults


def test_generated_file_is_well_formed_and_matches_its_flat_form(original_settings):
    text = nextflow.render()
    parsed = parse_config(text)
    assert set(parsed) == {"params", "profiles"}
    assert set(parsed["profiles"]) == {"standard", "aws", "slurm"}
    aws = flatten(parsed["profiles"]["aws"])
    assert aws == ORIGINAL_AWS
    params = {f"params.{k}": v for k, v in parsed["params"].items()}
    assert {**params, **aws} == parse_flat(nextflow.flat("aws"))
    standard = flatten(parsed["profiles"]["standard"])
    assert standard == {
        "docker.enabled": True,
        "process.container": "h4rrye/chromapipe:with-mdtraj",
        "process.cpus": 2,
        "process.memory": "4 GB",
    }
    assert {**params, **standard} == parse_flat(nextflow.flat("standard"))
    slurm = flatten(parsed["profiles"]["slurm"])
    assert {**params, **slurm} == parse_flat(nextflow.flat("slurm"))


def test_generated_slurm_profile_asks_what_the_snakemake_jobs_ask(original_settings, monkeypatch):
    monkeypatch.delenv("CHROMAPIPE_SLURM_PARTITION", raising=False)
    monkeypatch.delenv("CHROMAPIPE_SLURM_ACCOUNT", raising=False)
    rules = load_profile(REPO / "workflow" / "resources.yaml")  # the rules' sizes, declared once
    threads, resources = rules["set-threads"]["compute_physical"], rules["set-resources"]["compute_physical"]
    slurm = {k: v for k, v in parse_flat(nextflow.flat("slurm")).items() if not k.startswith("params.")}
    assert slurm == {
        "process.executor": "slurm",
        "process.container": ORIGINAL_ENV["CHROMAPIPE_IMAGE"],
        "process.cpus": threads,
        "process.memory": f"{resources['mem_mb'] // 1024} GB",
        "process.time": f"{resources['runtime'] // 60}h",
        "apptainer.enabled": True,
    }  # no queue and no account: the cluster's default partition
    monkeypatch.setenv("CHROMAPIPE_SLURM_PARTITION", "short")
    monkeypatch.setenv("CHROMAPIPE_SLURM_ACCOUNT", "lab-42")
    slurm = parse_flat(nextflow.flat("slurm"))
    assert (slurm["process.queue"], slurm["process.clusterOptions"]) == ("short", "--account=lab-42")


def test_parser_rejects_malformed_configs():
    for bad in ("a {\n x = 1\n", "a {\n x = unquoted\n}\n", "}\n"):
        with pytest.raises(AssertionError):
            parse_config(bad)


def test_one_source_of_truth(monkeypatch):
    monkeypatch.setenv("CHROMAPIPE_QUEUE", "another-queue")
    monkeypatch.setenv("CHROMAPIPE_BUCKET", "another-bucket")
    profile = load_profile(REPO / "profiles" / "aws")
    assert profile["aws-batch-job-queue"] == "another-queue"  # what snakemake --profile profiles/aws uses
    assert profile["default-storage-prefix"].startswith("s3://another-bucket/")
    flat = parse_flat(nextflow.flat("aws"))
    assert flat["process.queue"] == "another-queue"
    assert flat["workDir"] == "s3://another-bucket/work"
    # and no value of the deployment is typed anywhere else in the repository's configs
    for path in [
        REPO / "config" / "config.yaml",
        REPO / "config" / "gsdb.yaml",
        REPO / "profiles" / "local" / "config.yaml",
    ]:
        text = path.read_text()
        for value in filter(None, (deployment().queue, deployment().image, deployment().job_role)):
            assert value not in text, (path, value)


def test_without_a_bucket_or_queue_the_config_names_the_variable(monkeypatch):
    for key in ORIGINAL_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CHROMAPIPE_QUEUE", "a-queue")
    with pytest.raises(InputError, match=r"^CHROMAPIPE_BUCKET is not set"):
        nextflow.flat("aws")
    monkeypatch.delenv("CHROMAPIPE_QUEUE")
    monkeypatch.setenv("CHROMAPIPE_BUCKET", "a-bucket")
    with pytest.raises(InputError, match=r"^CHROMAPIPE_QUEUE is not set"):
        nextflow.flat("aws")


def test_without_the_aws_variables_the_other_profiles_are_written_and_aws_is_left_out(monkeypatch):
    for key in ORIGINAL_ENV:
        monkeypatch.delenv(key, raising=False)
    text = nextflow.render()
    reason = "the aws profile is left out: CHROMAPIPE_BUCKET and CHROMAPIPE_QUEUE are not set"
    assert [line for line in text.splitlines() if "left out" in line] == [f"// {reason}: an AWS run needs"
        " the S3 bucket (CHROMAPIPE_BUCKET), the Batch job queue (CHROMAPIPE_QUEUE) and the job role ARN"
        " (CHROMAPIPE_JOB_ROLE); see the README's 'Running on AWS Batch'"]  # fmt: skip
    assert set(parse_config(text)["profiles"]) == {"standard", "slurm"}
    for profile in ("standard", "slurm"):
        assert flatten(parse_config(text)["profiles"][profile]) == nextflow.profiles()[profile]
        assert parse_flat(nextflow.flat(profile))["process.container"] == deployment().image
    monkeypatch.setenv("CHROMAPIPE_QUEUE", "a-queue")  # the queue alone is not enough either
    assert "// the aws profile is left out: CHROMAPIPE_BUCKET is not set" in nextflow.render()


@pytest.mark.slow
def test_cli_and_snakemake_target_without_the_aws_variables(tmp_path, monkeypatch):
    for key in ORIGINAL_ENV:
        monkeypatch.delenv(key, raising=False)
    for profile in ("standard", "slurm"):
        result = run_cli("nextflow-config", "--flat", "--profile", profile)
        assert result.returncode == 0 and result.stdout == nextflow.flat(profile), result.stderr
    result = run_cli("nextflow-config", "-o", tmp_path / "nextflow.config")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "chromapipe nextflow-config: " + nextflow.aws_left_out(deployment())
    ]  # one line saying why
    assert set(parse_config((tmp_path / "nextflow.config").read_text())["profiles"]) == {"standard", "slurm"}
    for name in ("aws", "standard", "slurm"):
        assert name in run_cli("nextflow-config", "--help").stdout
    proc = forked_snakemake.run(
        ["nextflow_config", "--profile", "profiles/local", "--config", f"outdir={tmp_path / 'out'}"], cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / "out" / "nextflow"
    assert (written / "nextflow.config").read_text() == (tmp_path / "nextflow.config").read_text()
    assert (written / "aws.flat.config").read_text() == f"// {nextflow.aws_left_out(deployment())}\n"


@pytest.mark.slow
def test_cli_and_snakemake_target(tmp_path, original_settings):
    result = run_cli("nextflow-config", "-o", tmp_path / "nextflow.config")
    assert result.returncode == 0, result.stderr
    flat = run_cli("nextflow-config", "--flat")
    assert flat.returncode == 0 and flat.stdout == nextflow.flat("aws")
    assert run_cli("nextflow-config", "--help").returncode == 0
    assert run_cli("parity", "--help").returncode == 0
    proc = forked_snakemake.run(
        ["nextflow_config", "--profile", "profiles/local", "--config", f"outdir={tmp_path / 'out'}"], cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "nextflow" / "nextflow.config").read_text() == (tmp_path / "nextflow.config").read_text()
    assert (tmp_path / "out" / "nextflow" / "aws.flat.config").read_text() == nextflow.flat("aws")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nextflow") is None, reason="nextflow is not installed on this machine")
def test_nextflow_itself_reads_the_generated_config(tmp_path, original_settings):
    (tmp_path / "nextflow.config").write_text(nextflow.render())
    result = subprocess.run(
        ["nextflow", "config", "-profile", "aws", "-flat", "-sort"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert parse_flat(result.stdout.strip() + "\n") == parse_flat(nextflow.flat("aws"))


def real_config(workdir, **overrides):
    """The workflow on the real chr21 structure with the original's annotations."""
    shutil.copytree(REFERENCE, workdir / "nextflow")
    config = {
        "chromosomes": [21],
        "assembly": "GRCh37",
        "mapping": str(MAPPING),
        "structures": {"path": str(GSDB / "chr{chr}.pdb")},
        "bead_map": {"source": "sequential"},
        "annotations": {"source": "table", "table": str(REFERENCE / "chr{chr}_annotations.csv")},
        "legacy": True,
    } | overrides
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_legacy_workflow_reproduces_the_nextflow_outputs(tmp_path):
    result = snakemake(tmp_path, configfile=real_config(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    ours = pl.read_parquet(tmp_path / "results" / "chr21_compiled.parquet")
    assert ours.equals(pl.read_parquet(REFERENCE / "chr21_compiled.parquet"))
    assert ours.schema == pl.read_parquet(REFERENCE / "chr21_compiled.parquet").schema
    parity = run_cli("parity", REFERENCE, tmp_path / "results", "--json")
    assert parity.returncode == 0, parity.stdout + parity.stderr
    report = json.loads(parity.stdout)["chromosomes"]["21"]
    assert report["layout"] == "legacy" and report["rows"] == [97, 97]
    assert set(report["max_abs_diff"].values()) == {0.0}  # the compiled table: no difference at all
    assert not report["dtypes_differ"] and not report["columns_only_ours"]
    assert report["surface"]["rows"] == [12493, 12493]
    assert set(report["surface"]["max_abs_diff"].values()) == {0.0}  # bit-identical
    log = (tmp_path / "results" / "logs" / "compile" / "chr21.log").read_text()
    assert "by row number" in log


@pytest.mark.slow
def test_default_mode_reports_unchanged_physics_and_the_pairing(tmp_path):
    # An illustrative contact list: the real chr21 bead map needs GSDB's VC/chr21_list.txt, which is not
    # at hand; here the 74 beads sit on the last 74 of the 97 bins.
    starts = chromosome_bins(read_bin_map(MAPPING), "21")["start"].to_list()[23:]
    contacts = tmp_path / "chr21_list.txt"
    contacts.write_text("".join(f"{a}\t{b}\t1.0\n" for a, b in zip(starts[:-1], starts[1:])))
    configfile = real_config(
        tmp_path, legacy=False, bead_map={"source": "contacts", "path": str(tmp_path / "chr{chr}_list.txt")}
    )
    result = snakemake(tmp_path, configfile=configfile)
    assert result.returncode == 0, result.stdout + result.stderr
    parity = run_cli("parity", REFERENCE, tmp_path / "results", "--json")
    assert parity.returncode == 0, parity.stdout + parity.stderr
    report = json.loads(parity.stdout)["chromosomes"]["21"]
    assert report["layout"] == "default"
    assert report["beads"] == [74, 74] and report["bins"] == 97 and report["rows"] == [97, 97]
    physical = {c: report["max_abs_diff"][c] for c in ("x", "y", "z", "dist_surface", "dist_com", "dist_rolling_mean")}
    assert max(physical.values()) < 1e-6  # unchanged per bead (Float32 of the same 4-decimal values)
    assert report["max_abs_diff"]["gene_density"] == 0.0 and report["max_abs_diff"]["gc_content"] < 1e-6
    assert report["pairing"] == {
        "beads": 74, "bins": 97, "moved": 74,
        "examples": [{"bead": k, "reference_start": starts[0] - 23 * 500_000 + (k - 1) * 500_000,
                      "our_start": starts[k - 1]} for k in range(1, 6)],
    }  # fmt: skip
    table = run_cli("parity", REFERENCE, tmp_path / "results")
    assert "74 beads on 97 bins; 74 beads on another bin" in table.stdout


@pytest.mark.slow
def test_parity_fails_past_the_tolerance(tmp_path):
    shutil.copytree(REFERENCE, tmp_path / "ours")
    path = tmp_path / "ours" / "chr21_compiled.parquet"
    table = pl.read_parquet(path)
    table.with_columns(pl.col("dist_com") + 0.001).write_parquet(path)
    result = run_cli("parity", REFERENCE, tmp_path / "ours")
    assert result.returncode == 1
    assert "dist_com" in result.stdout and "over tolerance" in result.stdout
    (tmp_path / "empty").mkdir()
    missing = run_cli("parity", REFERENCE, tmp_path / "empty")
    assert missing.returncode == 1 and "missing" in missing.stdout


def test_annotation_table_is_checked_against_the_bin_map(tmp_path):
    bins = chromosome_bins(read_bin_map(MAPPING), "21")
    table = read_annotation_table(REFERENCE / "chr21_annotations.csv", bins, "21")
    assert table.columns == ["start", "end", "gc_content", "n_fraction", "gene_density"]
    assert table.schema["gene_density"] == pl.Int32 and table["n_fraction"].null_count() == 97
    with pytest.raises(InputError, match="not 22|chromosome\\(s\\) 21, not 22"):
        read_annotation_table(REFERENCE / "chr21_annotations.csv", chromosome_bins(read_bin_map(MAPPING), "22"), "22")
    short = tmp_path / "short.csv"
    pl.read_csv(REFERENCE / "chr21_annotations.csv").head(90).write_csv(short)
    with pytest.raises(InputError, match="90 rows for 97 bins"):
        read_annotation_table(short, bins, "21")
    fractional = tmp_path / "frac.csv"
    pl.read_csv(REFERENCE / "chr21_annotations.csv").with_columns(pl.col("gene_density") + 0.5).write_csv(fractional)
    with pytest.raises(InputError, match="fractional"):
        read_annotation_table(fractional, bins, "21")


def _strict_json(text):
    """JSON as the standard defines it: ``Infinity`` and ``NaN`` are refused."""

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["default", "legacy"])
def test_parity_of_a_folder_with_itself_finds_no_difference_in_either_layout(example_results, layout):
    folder = example_results / "results" if layout == "default" else REFERENCE
    table = run_cli("parity", folder, folder)
    assert table.returncode == 0, table.stdout + table.stderr
    assert table.stdout.rstrip().endswith("OK: within tolerance") and "over tolerance" not in table.stdout
    assert "another bin" not in table.stdout  # no pairing to report between two tables of one layout
    result = run_cli("parity", folder, folder, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = _strict_json(result.stdout)
    assert report["ok"] and report["chromosomes"]
    for entry in report["chromosomes"].values():
        assert entry["layouts"] == [layout, layout] and "pairing" not in entry
        assert entry["max_abs_diff"] and set(entry["max_abs_diff"].values()) == {0.0}
        assert not entry["over_tolerance"] and not entry.get("values_differ")
        assert set(entry["surface"]["max_abs_diff"].values()) == {0.0}


@pytest.mark.slow
def test_parity_json_stays_json_when_a_value_is_empty_on_one_side(example_results, tmp_path):
    shutil.copytree(example_results / "results", tmp_path / "ours", ignore=shutil.ignore_patterns("figures", "summary"))
    path = tmp_path / "ours" / "chr21_compiled.parquet"
    table = pl.read_parquet(path)
    row = pl.col("gc_content") == pl.col("gc_content").max()  # a bin with a value, emptied in ours
    table.with_columns(
        pl.when(row).then(None).otherwise(pl.col("gc_content")).alias("gc_content"),
        pl.when(row).then(pl.lit("Z")).otherwise(pl.col("compartment")).alias("compartment"),
    ).write_parquet(path)
    result = run_cli("parity", example_results / "results", tmp_path / "ours", "--json")
    assert result.returncode == 1
    entry = _strict_json(result.stdout)["chromosomes"]["21"]
    assert entry["max_abs_diff"]["gc_content"] is None and "gc_content" in entry["over_tolerance"]
    assert entry["values_differ"] == {"compartment": 1}
    assert _strict_json(result.stdout)["chromosomes"]["19"]["over_tolerance"] == {}


def test_a_default_reference_against_a_row_order_table_reads_the_pairing_the_other_way():
    from chromapipe.parity import compare_chromosome

    # three bins, two beads on the last two bins (ours); the row-order table pastes them on the first two
    default = pl.DataFrame({"chr": ["21"] * 3, "start": [1, 501, 1001], "end": [500, 1000, 1500],
                            "bead": pl.Series([None, 1, 2], dtype=pl.Int32), "x": [None, 0.5, 0.7],
                            "gc_content": [0.1, 0.2, 0.3]})  # fmt: skip
    legacy = pl.DataFrame({"x": [0.5, 0.7, None], "start": [1, 501, 1001], "end": [500, 1000, 1500],
                           "gc_content": [0.1, 0.2, 0.3], "chr": pl.Series([21] * 3, dtype=pl.Int32)})  # fmt: skip
    forward = compare_chromosome(legacy, default)
    assert forward["layouts"] == ["legacy", "default"] and forward["pairing"]["moved"] == 2
    backward = compare_chromosome(default, legacy)
    assert backward["layouts"] == ["default", "legacy"] and backward["pairing"]["moved"] == 2
    assert backward["beads"] == [2, 2] and backward["max_abs_diff"]["x"] == 0.0
    assert backward["pairing"]["examples"][0] == {"bead": 1, "reference_start": 501, "our_start": 1}
    same = compare_chromosome(default, default)
    assert same["layouts"] == ["default", "default"] and set(same["max_abs_diff"].values()) == {0.0}
