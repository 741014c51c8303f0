# fleetstage: the two set-up commands are `make demo` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv demo test kafka-start kafka-stop kafka-status

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/fleetstage demo

# The test session starts a local Kafka broker itself (or uses KAFKA_BOOTSTRAP_SERVERS) and stops it at
# the end; FLEETSTAGE_REQUIRE_KAFKA=1 turns every skipped kafka test into a failure.
test: venv
	FLEETSTAGE_REQUIRE_KAFKA=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

kafka-start: venv
	PYTHON=$(BIN)/python scripts/kafka-local start

kafka-stop: venv
	PYTHON=$(BIN)/python scripts/kafka-local stop

kafka-status: venv
	PYTHON=$(BIN)/python scripts/kafka-local status

# Event-log benchmark (store API vs raw sqlite3/aiokafka); BENCH_ARGS="--events 20000" to shrink.
BENCH_ARGS ?=
.PHONY: bench-eventlog
bench-eventlog: venv
	$(BIN)/python -m bench.eventlog $(BENCH_ARGS)

# Fleet-scale benchmarks (issue 7); not part of `make test`. Each prints a table and refreshes its section
# of docs/benchmarks.md. Size one with BENCH_ARGS, e.g. `make bench-rollout BENCH_ARGS="--clusters 100,1000,10000"`;
# `make bench` runs every benchmark at its default size (leave BENCH_ARGS empty: the flags differ).
.PHONY: bench bench-rollout bench-latency bench-manyruns bench-rebuild

bench-rollout: venv
	$(BIN)/python -m bench.rollout $(BENCH_ARGS)

bench-latency: venv
	$(BIN)/python -m bench.latency $(BENCH_ARGS)

bench-manyruns: venv
	$(BIN)/python -m bench.manyruns $(BENCH_ARGS)

bench-rebuild: venv
	$(BIN)/python -m bench.rebuild $(BENCH_ARGS)

bench: bench-eventlog bench-rollout bench-latency bench-manyruns bench-rebuild

# Fault-injection soak (tests/faults, marker `soak`, left out of `make test`): 100 simulated clusters with
# every service SIGKILLed in each run, broker restarts and long pauses, orchestrator rebalances.
.PHONY: soak
soak: venv
	FLEETSTAGE_REQUIRE_KAFKA=1 $(BIN)/python -m pytest tests/faults -m soak $(PYTEST_ARGS)

# API under load (issue 8): 50 concurrent runs while the API serves 200 get/list requests/s and a few
# watches for 30 s; not part of `make test`. Shrink with BENCH_ARGS="--runs 5 --rate 20 --seconds 5".
.PHONY: bench-apiload
bench-apiload: venv
	$(BIN)/python -m bench.apiload $(BENCH_ARGS)
