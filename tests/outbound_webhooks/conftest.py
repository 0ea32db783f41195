"""A local endpoint the deliveries go to: answers with the codes it is told, records what came."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HISTORIES = Path(__file__).parent / "histories"

# short backoff and retry window, so five failures take a second instead of an hour
FAST = {
    "OUTBOUND_WEBHOOK_BACKOFF_SECONDS": "0.05",
    "OUTBOUND_WEBHOOK_MAX_BACKOFF_SECONDS": "0.4",
    "OUTBOUND_WEBHOOK_RETRY_HOURS": "0.01",  # 36 s
}


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """`fail_first` requests per event id get a 500, the rest a 200 (or always `always`)."""

    fail_first: int = 0
    always: int | None = None
    received: list[Received] = field(default_factory=list)
    _seen: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        import json

        event_id = json.loads(body)["id"]
        with self.lock:
            n = self._seen.get(event_id, 0) + 1
            self._seen[event_id] = n
            code = self.always if self.always is not None else (500 if n <= self.fail_first else 200)
            self.received.append(Received(headers, body, code))
        return code


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            code = state.answer({k: v for k, v in self.headers.items()}, body)
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
