# Two commands take a fresh clone anywhere: `make run` and `make test`.
# Everything else (virtualenv, packages, PostgreSQL) is installed by these targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= .data
PORT   ?= 8000

.PHONY: run test lint fmt clean bench-reminders bench bench-quick

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-installs only when requirements.txt changes.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

run: $(STAMP)
	$(BIN)/python -m bindings run --port $(PORT) --data-dir $(DATA)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Reminder path: reminder-check at 10k vs 1M tasks, and claim -> publish -> send throughput.
bench-reminders: $(STAMP)
	$(BIN)/python bench/reminders.py $(ARGS)

# The real runtime (docs/operations.md, "Running on real Dapr") and the cluster tier (tests/cluster): daprd, the Kafka jars,
# the Dapr CLI, etcd, kube-apiserver, kubectl and CRDs, built or fetched once into $${TODO_CACHE:-~/.cache/todo-functions}.
.PHONY: provision dapr-up dapr-down manifests
provision: $(STAMP)
	$(BIN)/python -m bindings provision

# Only what dapr-up runs: no need to build kube-apiserver for it.
dapr-up: $(STAMP)
	$(BIN)/python -m bindings provision --tier runtime
	$(BIN)/python -m bindings dapr-up --data-dir $(DATA)

dapr-down: $(STAMP)
	$(BIN)/python -m bindings dapr-down --data-dir $(DATA)

# Re-render every generated file (k8s/, the Procfile, dapr.yaml, dapr/standalone/, dapr/cluster/, the table's
# entries in dapr/ and the rendered sections of docs/) after changing bindings/table.py, dapr/ or bindings/manifests/.
manifests: $(STAMP)
	$(BIN)/python -m bindings manifests

# Benchmarks of issue 8 (docs/performance.md): figures, bench/results/<date>.json and PNG plots.
# matplotlib and pyinstrument come from bench/requirements.txt, only into this venv, only for these targets.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# About 2-3 minutes instead of ~15: checks that every benchmark runs end to end; the figures are rough.
bench-quick: $(BENCH_STAMP)
	$(BIN)/python bench/run.py --quick $(ARGS)

# Faults under load on the real runtime (docs/reliability.md): the short profile (~4 min) by default,
# `make chaos ARGS=--long` (add `--duration 1h`) for longer. Needs `make provision`; matplotlib for the plot.
.PHONY: chaos
chaos: $(BENCH_STAMP)
	$(BIN)/python -m tests.faults $(ARGS)
