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
