# Two commands a new user needs: `make run` (embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/houqin migrate
	$(BIN)/houqin seed-demo --if-empty
	$(BIN)/houqin serve

test: install
	$(BIN)/pytest

# Benchmarks need PostgreSQL and Redis: DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-auth
.PHONY: bench-auth
bench-auth: install
	$(BIN)/python -m bench.auth_requests

.PHONY: bench-canteen
bench-canteen: install
	$(BIN)/python -m bench.canteen_pay

.PHONY: bench-console
bench-console: install
	$(BIN)/python -m bench.console_pages
