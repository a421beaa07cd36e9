# Shortcuts for developers; the README's two commands need none of this.
PY ?= .venv/bin/python

.PHONY: test lint eval bench cassettes

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy && .venv/bin/lint-imports

eval:
	$(PY) -m ofsted_extractor eval --engine rules --compare
	$(PY) -m ofsted_extractor eval --engine rules --synthetic 200 --seed 2011 --compare

bench:
	$(PY) scripts/bench_extract.py --synthetic 300
	$(PY) scripts/bench_generator.py 1000

# Re-record the LLM cassettes from a local llama-cpp-python server (needs the `local` extra, or
# LLAMA_PYTHON pointing at a Python that has it). Any prompt or schema change needs this.
cassettes:
	scripts/record_cassettes.sh
