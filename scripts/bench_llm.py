"""Measure how busy the LLM engine keeps a server: achieved / ideal throughput.

    python scripts/bench_llm.py                           # both target settings
    python scripts/bench_llm.py --concurrency 16 --latency 0.2 --letters 320
    python scripts/bench_llm.py --smoke                   # CI: a few letters, no threshold
    python scripts/bench_llm.py --instructor              # instructor's CPU per call

A loopback OpenAI-compatible server (127.0.0.1 only, in its own process so it takes no CPU
from the client's event loop) answers every request after a fixed latency with the *correct*
compact answer for the letter it carries (built from the synthetic letter's gold record), so
every answer passes the validators and no re-ask is made. Letters go through the pipeline's
batch path (`iter_extracted`: load, extract, spans, validators, the rules cross-check), as the
CLI runs them. The server is bounded (at most 256 connections, 4 MB a request) and stops by itself
when the run ends or after --server-lifetime seconds, whichever is first.

Ideal is what the latency alone allows: letters / concurrency rounds of one latency each.
Printed: letters per second achieved and ideal, their ratio, the most requests the server had
in flight at once, and whether every record equals the server's answer. Exits 1 when a
record differs, or when --min-ratio is given and not met.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import multiprocessing as mp
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ofsted_extractor.engines.llm import LETTER_END, LETTER_START  # noqa: E402

MODEL = "BENCH-loopback"
MAX_CONNECTIONS = 256
MAX_BODY = 4 * 1024 * 1024


def letter_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _letter_in(body: dict[str, Any]) -> str | None:
    """The letter text between the marker lines of the request's user message."""
    user = body["messages"][1]["content"]
    start = user.find(LETTER_START + "\n")
    end = user.find("\n" + LETTER_END)
    if start < 0 or end < 0:
        return None
    return str(user[start + len(LETTER_START) + 1 : end])


def _completion(content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100},
        }
    ).encode()


def serve(answers: dict[str, str], latency: float, lifetime: float, pipe: Connection) -> None:
    """The loopback server (run in its own process). Sends its port, then at the end its
    statistics: requests served, the most in flight at once."""

    stats = {"requests": 0, "in_flight": 0, "max_in_flight": 0, "unknown": 0}
    connections = asyncio.Semaphore(MAX_CONNECTIONS)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with connections:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    if length > MAX_BODY:
                        return
                    body = json.loads(await reader.readexactly(length))
                    stats["requests"] += 1
                    stats["in_flight"] += 1
                    stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
                    try:
                        await asyncio.sleep(latency)
                    finally:
                        stats["in_flight"] -= 1
                    text = _letter_in(body)
                    answer = answers.get(letter_key(text)) if text is not None else None
                    if answer is None:
                        stats["unknown"] += 1
                        answer = "{}"
                    payload = _completion(answer)
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                        + f"content-length: {len(payload)}\r\n\r\n".encode()
                        + payload
                    )
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        pipe.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lifetime
        # Stops when the client says the run is over, or at the deadline.
        while loop.time() < deadline and not pipe.poll():
            await asyncio.sleep(0.05)
        server.close()
        pipe.send(stats)

    asyncio.run(main())


def make_letters(tmp: Path, n: int) -> tuple[list[Path], dict[str, str]]:
    """`n` synthetic letters on disk, and the correct compact answer for each, by text hash."""
    from ofsted_extractor.engines.llm.answers import compact_answer_from_letter
    from ofsted_extractor.engines.rules import parse_structure
    from ofsted_extractor.eval.synth import write
    from ofsted_extractor.loading import load_file
    from ofsted_extractor.schema import Letter

    paths, answers = [], {}
    for gold_path in write(tmp, n, seed=2011, surfaces=("clean",)):
        record = json.loads(gold_path.read_text(encoding="utf-8"))
        path = gold_path.parent / record["letter_file"]
        text = load_file(path).text
        answer = compact_answer_from_letter(
            Letter.model_validate(record["letter"]), parse_structure(text)
        )
        answers[letter_key(text.strip())] = json.dumps(answer, ensure_ascii=False)
        paths.append(path)
    return paths, answers


def run_once(
    paths: list[Path],
    answers: dict[str, str],
    concurrency: int,
    latency: float,
    lifetime: float,
    workers: int,
) -> dict[str, Any]:
    from ofsted_extractor.engines.llm import LLMEngine
    from ofsted_extractor.engines.llm.answers import CompactAnswer, letter_from_answer
    from ofsted_extractor.engines.rules import parse_structure
    from ofsted_extractor.llm_config import LLMConfig
    from ofsted_extractor.pipeline import iter_extracted

    ours, theirs = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=serve, args=(answers, latency, lifetime, theirs), daemon=True
    )
    server.start()
    try:
        port = ours.recv()
        config = LLMConfig(
            model=MODEL,
            base_url=f"http://127.0.0.1:{port}/v1",
            backend="llama-cpp-python",
            concurrency=concurrency,
            cache=False,
            transport_retries=0,
            timeout=max(30.0, latency * 10),
            workers=workers,
        )
        engine = LLMEngine(config)

        started, cpu_started = time.perf_counter(), time.process_time()
        docs = [x.document for x in iter_extracted(paths, engine, concurrency=concurrency)]
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        ours.send("stop")
        stats = ours.recv()
    finally:
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()

    mismatches = 0
    for doc in docs:
        text = Path(doc.source.path).read_text(encoding="utf-8")
        from ofsted_extractor.loading import load_text

        norm = load_text(text).text
        answer = answers[letter_key(norm.strip())]
        expected = letter_from_answer(
            CompactAnswer.model_validate_json(answer), parse_structure(norm)
        )
        got = doc.letter
        same = got is not None and _comparable(got) == _comparable(expected)
        mismatches += not same or doc.usage.calls != 1
    ideal = len(paths) / (math.ceil(len(paths) / concurrency) * latency)
    return {
        "letters": len(paths),
        "wall": wall,
        "achieved": len(paths) / wall,
        "ideal": ideal,
        "ratio": len(paths) / wall / ideal,
        "cpu_ms": cpu / len(paths) * 1000,
        "max_in_flight": stats["max_in_flight"],
        "requests": stats["requests"],
        "mismatches": mismatches,
        "passed": sum(d.validation.status == "passed" for d in docs),
    }


def _comparable(letter: Any) -> Any:
    """A letter without what the pipeline adds (spans, provenance)."""

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in ("span", "provenance")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return strip(letter.model_dump(mode="json"))


def instructor_cost(calls: int = 300) -> None:
    """Print the CPU instructor spends on one call, over a canned completion (no server): with
    the plain answer model, and with the model the engine prepares once
    (`client.prepare_answer_model`). Pydantic's parse alone is printed for scale."""
    import instructor
    from openai.types.chat import ChatCompletion

    from ofsted_extractor.engines.llm.answers import CompactAnswer, compact_answer_from_letter
    from ofsted_extractor.engines.llm.client import prepare_answer_model
    from ofsted_extractor.engines.llm.messages import answer_schema
    from ofsted_extractor.engines.rules import parse_structure
    from ofsted_extractor.loading import load_text
    from ofsted_extractor.schema import Letter

    name = "worcestershire-2011"
    text = load_text((ROOT / "examples" / f"{name}.txt").read_text(encoding="utf-8")).text
    gold = json.loads((ROOT / "eval" / "gold" / f"{name}.json").read_text(encoding="utf-8"))
    answer = json.dumps(
        compact_answer_from_letter(Letter.model_validate(gold["letter"]), parse_structure(text))
    )
    response = ChatCompletion.model_validate(json.loads(_completion(answer)))
    messages = [{"role": "user", "content": text}]

    async def send(**kwargs: Any) -> ChatCompletion:
        return response

    async def per_call(model: Any, mode: Any) -> float:
        create = instructor.patch(create=send, mode=mode)
        await create(response_model=model, max_retries=0, messages=messages, model=MODEL)
        started = time.process_time()
        for _ in range(calls):
            await create(response_model=model, max_retries=0, messages=messages, model=MODEL)
        return (time.process_time() - started) / calls * 1000

    prepared = prepare_answer_model(CompactAnswer, answer_schema(CompactAnswer))
    for mode in (instructor.Mode.JSON_SCHEMA, instructor.Mode.JSON):
        plain = asyncio.run(per_call(CompactAnswer, mode))
        once = asyncio.run(per_call(prepared, mode))
        print(
            f"instructor {mode.name}: {plain:.2f} ms of CPU a call with the plain answer model, "
            f"{once:.2f} ms with the model prepared once"
        )
    started = time.process_time()
    for _ in range(calls):
        CompactAnswer.model_validate_json(answer)
    parse = (time.process_time() - started) / calls * 1000
    print(f"pydantic parsing the answer alone: {parse:.2f} ms")


def default_letters(concurrency: int, latency: float) -> int:
    """Enough letters for 20 s of ideal time (at least 20 rounds), so that what any batch
    pays once (a worker process starting, the first connections) weighs little against the
    throughput being measured: 1,600 letters at concurrency 16 with 0.2 s, 1,280 at 64 with
    1 s."""
    return concurrency * max(20, math.ceil(20 / latency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, help="one setting instead of both targets")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument(
        "--letters",
        type=int,
        help="default: rounds of the concurrency for 20 s of ideal time, at least 20 rounds",
    )
    parser.add_argument("--server-lifetime", type=float, default=600.0)
    parser.add_argument("--min-ratio", type=float, help="exit 1 below this achieved/ideal")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes for the CPU work (LLMConfig)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a quick check for CI: 24 letters at concurrency 8, 0.05 s latency, no threshold",
    )
    parser.add_argument(
        "--instructor", action="store_true", help="only instructor's CPU per call (no server)"
    )
    args = parser.parse_args()
    if args.instructor:
        instructor_cost()
        return
    if args.smoke:
        args.concurrency, args.latency, args.letters = 8, 0.05, args.letters or 24
    settings = [(args.concurrency, args.latency)] if args.concurrency else [(16, 0.2), (64, 1.0)]
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        n_max = max(args.letters or default_letters(c, lat) for c, lat in settings)
        paths, answers = make_letters(Path(tmp), n_max)
        for concurrency, latency in settings:
            n = args.letters or default_letters(concurrency, latency)
            r = run_once(
                paths[:n], answers, concurrency, latency, args.server_lifetime, args.workers
            )
            print(
                f"workers {args.workers}, concurrency {concurrency}, latency {latency:.2f} s: "
                f"{r['letters']} letters in "
                f"{r['wall']:.2f} s; {r['achieved']:.1f} letters/s of an ideal "
                f"{r['ideal']:.1f} = {r['ratio']:.2f} of ideal; most requests in flight "
                f"{r['max_in_flight']}; requests {r['requests']}; passed {r['passed']}; "
                f"records differing from the server's answers: {r['mismatches']}; client CPU "
                f"{r['cpu_ms']:.1f} ms a letter (ceiling {1000 / r['cpu_ms']:.0f} letters/s "
                "on one core)"
            )
            failed |= r["mismatches"] > 0
            failed |= args.min_ratio is not None and r["ratio"] < args.min_ratio
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
