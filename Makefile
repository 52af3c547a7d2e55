# Two commands for a fresh machine with python3, pip and make:
#   make run   - install what is missing, then parse the shipped samples and print their tables
#   make test  - install what is missing, then run every test
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY_SAMPLES := $(wildcard data/samples/*)

.PHONY: run test lint format bench install

$(UV):
	python3 -m pip install --user --quiet "uv>=0.9,<1" || python3 -m pip install --quiet "uv>=0.9,<1"

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

install: .venv/.installed

run: install
	$(UV) run --frozen xxgk parse $(PY_SAMPLES)

test: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen pytest

lint: install
	$(UV) run --frozen ruff check .

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

bench: install
	$(UV) run --frozen python benchmarks/parse.py
