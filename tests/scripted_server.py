"""A SCRIPTED OpenAI-compatible HTTP server on 127.0.0.1, for transport and re-ask failure tests.

Nothing here is a model: each POST to /v1/chat/completions takes the next `Reply` from the
script (status, headers, body, an optional delay, or a dropped connection) and records the
request, so a test can assert exactly what the client sent and how often.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCRIPTED_MODEL = "SCRIPTED-model"


class _QuietServer(ThreadingHTTPServer):
    """A client that goes away (a batch stopped with a request in flight) is no server error:
    without this, socketserver prints its traceback on the stderr a CLI test reads."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Reply:
    """One scripted response. `drop=True` closes the connection without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    #: Serve this reply only to a request whose body contains this text (None: any request).
    match: str | None = None


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


def chat(
    content: str,
    *,
    finish_reason: str = "stop",
    prompt_tokens: int = 1000,
    completion_tokens: int = 100,
) -> Reply:
    """A 200 chat completion whose message content is `content`."""
    return Reply(
        body={
            "id": "chatcmpl-SCRIPTED",
            "object": "chat.completion",
            "created": 0,
            "model": SCRIPTED_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
    )


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An error response in OpenAI's shape."""
    return Reply(
        status=status,
        body={"error": {"message": message, "type": "scripted", "code": None}},
        headers=headers or {},
    )


class ScriptedServer:
    """Serves `script` in order; `seen` lists the requests. Use `scripted_server()`."""

    def __init__(self, script: list[Reply]) -> None:
        self.script = list(script)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                with server._lock:
                    server.seen.append(
                        Seen(self.path, dict(self.headers), json.loads(raw), time.monotonic())
                    )
                    text = raw.decode("utf-8", "replace")
                    at = next(
                        (
                            i
                            for i, r in enumerate(server.script)
                            if r.match is None or r.match in text
                        ),
                        None,
                    )
                    reply = server.script.pop(at) if at is not None else error(500, "no reply")
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if isinstance(reply.body, bytes):
                    payload = reply.body
                elif isinstance(reply.body, str):
                    payload = reply.body.encode()
                else:
                    payload = json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test): nothing to answer

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies received, in order."""
        return [s.body for s in self.seen]


@contextmanager
def scripted_server(script: list[Reply]) -> Iterator[ScriptedServer]:
    """Run a SCRIPTED server on a free loopback port for the duration of the block."""
    server = ScriptedServer(script)
    server._thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server._thread.join(timeout=5)
