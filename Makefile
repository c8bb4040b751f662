# The README's two set-up commands: `make run` and `make test`.
# Each creates the virtualenv (.venv) with the pinned package on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install bytecode run test lint lint-code bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[workflow,test]"
	touch $(STAMP)

# The package's bytecode, written even where PYTHONDONTWRITEBYTECODE is set (an editable install
# leaves it to the first import, which that variable forbids): otherwise every job and command
# compiles chromapipe's modules from source at start. Up-to-date files are skipped.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q workflow/chromapipe

# The workflow on the embedded example (config/config.yaml), then on the same genome as one diploid
# nucleus (config/nucleus.yaml, into results/nucleus), then both and a three-model ensemble compared in
# one datasets-sheet run (config/compare.yaml, into results/compare), with the local profile.
run: bytecode
	$(BIN)/snakemake --profile profiles/local
	$(BIN)/snakemake --profile profiles/local --configfile config/nucleus.yaml
	$(BIN)/snakemake --profile profiles/local --configfile config/compare.yaml

# the linters and the test suite (CI runs exactly this): two workers, each test module on
# one worker (its module-scoped servers and runs stay together); most slow tests wait on a
# subprocess, a server or a scheduler, so two workers use the two cores. The code linters run
# while pytest starts (their output shown after the tests'; either failing fails `make test`),
# and `snakemake --lint` runs as a test (tests/test_workflow.py::test_lint_is_clean), not twice.
test: bytecode
	@log=$$(mktemp); (set -x; $(LINT_CODE)) >"$$log" 2>&1 & linter=$$!; \
	$(BIN)/python -m pytest -n 2 --dist loadfile; tests=$$?; \
	wait $$linter; linted=$$?; cat "$$log"; rm -f "$$log"; \
	if [ $$linted -ne 0 ]; then echo "make test: the linters failed (above)" >&2; exit $$linted; fi; \
	exit $$tests

lint: lint-code
	$(BIN)/snakemake --lint

# (a shell command, not a sub-make: `make -n test` only prints it)
LINT_CODE = $(BIN)/ruff check workflow/chromapipe tests && $(BIN)/ruff format --check workflow/chromapipe tests \
	&& $(BIN)/snakefmt --check workflow/Snakefile workflow/rules

lint-code: $(STAMP)
	$(LINT_CODE)

bench: bytecode
	$(BIN)/python tests/benchmarks/bench_physical.py

clean:
	rm -rf $(VENV) results logs benchmarks .snakemake .pytest_cache .hypothesis
