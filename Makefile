# The README's two set-up commands: `make run` and `make test`.
# Each creates the virtualenv (.venv) with the pinned package on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT ?= results

.PHONY: install run test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# Example run on the bundled real chr21 and chr1 structures (GSDB, hg19, 500 kb).
# The Snakemake workflow (workflow/Snakefile) replaces this once it lands.
run: $(STAMP)
	$(BIN)/chromapipe physical tests/data/gsdb/chr21.pdb --chr 21 --outdir $(OUT)/physical
	$(BIN)/chromapipe physical tests/data/gsdb/chr1.pdb --chr 1 --outdir $(OUT)/physical
	$(BIN)/chromapipe compile --chr 21 --legacy --outdir $(OUT) \
		--physical $(OUT)/physical/chr21_physical.parquet \
		--surface $(OUT)/physical/chr21_surface.parquet \
		--annotations tests/data/nextflow-2026-02/chr21_annotations.csv

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/bench_physical.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis
