# Two commands a user needs: `make demo` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.sleuth-installed
# llama-cpp-python compiles from source; trimming the multimodal part saves minutes. pip keeps the wheel cache.
# A portable x86-64 build (AVX2/FMA/F16C, no AMX or AVX-512): the wheel is cached and may run on another
# machine than the one that built it, and VMs may report CPU features they do not enable.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

.PHONY: demo test lint typecheck unit lab-up lab-down bench clean bytecode

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else "sleuth needs Python 3.10-3.12 (durable-rules does not import on 3.13); set PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade "pip>=23.2" >/dev/null
	$(BIN)/python -m pip install -e ".[dev,ray]"
	@touch $(STAMP)

# sleuth's modules compiled ahead, so commands start without recompiling them, also where
# PYTHONDONTWRITEBYTECODE is set (Python still reads the .pyc files it is told not to write).
bytecode:
	@$(BIN)/python -m compileall -q models rules knowledge_graph planner tui sources sleuth

demo: $(STAMP) bytecode
	$(BIN)/sleuth diagnose examples/incidents

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

lab-up: $(STAMP)
	bash lab/start.sh

lab-down:
	bash lab/stop.sh

# What needs no server runs on two workers; the fuzzing suite alone (its table of inputs tried is
# printed by the process that ran them); the live tests one at a time, as they share the lab.
unit: $(STAMP) bytecode
	$(BIN)/python -m pytest -q -n 2 -m "not live" --ignore=tests/fuzz
	$(BIN)/python -m pytest -q tests/fuzz
	$(BIN)/python -m pytest -q -m live

test: lint typecheck lab-up unit

bench: $(STAMP)
	@for b in bench/bench_*.py; do m=$$(basename $$b .py); echo "== $$m"; $(BIN)/python -m bench.$$m || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
