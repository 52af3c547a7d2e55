# Two commands for a fresh machine with python3, pip and make:
#   make run   - install what is missing, then build the demo warehouse and open the dashboard
#   make test  - install what is missing, then run every test
# uv from PATH if there is one, else the one pip installs into this Python.
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: run test lint format bench install

.venv/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.9,<1"
	$(UV) sync --frozen --compile-bytecode
	touch $@

install: .venv/.installed

run: install
	$(UV) run --frozen xxgk demo

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
