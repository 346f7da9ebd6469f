# The two commands of the README: `make run` and `make test`. Everything else is set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench

run: $(VENV)/.installed
	$(BIN)/flask --app wsgi init
	$(BIN)/gunicorn --config python:gateway.gunicorn_conf wsgi:app

test: $(VENV)/.installed-tests
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-tests
	$(BIN)/python -m tests.bench

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-tests: $(VENV)/.installed tests/requirements.txt
	$(BIN)/python -m pip install --quiet -r tests/requirements.txt
	touch $@
