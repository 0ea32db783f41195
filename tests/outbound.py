"""Local stand-ins for the outside services the product calls: an SMTP server (aiosmtpd) whose
received messages a test reads, and a small HTTP server (a Slack webhook, an AI provider)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from aiosmtpd.controller import Controller

from tests.support import app_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """What the local SMTP server received: (envelope recipients, parsed message) each."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default))
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [m for _, m in self.received]


@contextlib.contextmanager
def local_smtp() -> Iterator[Mailbox]:
    """An SMTP server on a free port, with SMTP_* pointing at it for the block."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with app_env(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_STARTTLS="false",
                     SMTP_FROM="shopops@example.com"):
            yield box
    finally:
        controller.stop()


@dataclass
class HttpSink:
    url: str
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)  # path, headers, json


Answer = Callable[[str, Any], tuple[int, Any]]  # (path, json body) -> (status, json answer)


@contextlib.contextmanager
def local_http(answer: Answer) -> Iterator[HttpSink]:
    """A JSON HTTP server on a free port that records every POST and answers with `answer`."""
    sink = HttpSink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
            sink.requests.append((self.path, dict(self.headers), body))
            status, reply = answer(self.path, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


def fake_ai(tokens: tuple[int, int] = (40, 20), text: str = "A good week.\n---\nDobrý týden.") -> Answer:
    """An OpenAI-compatible chat endpoint that answers `text` and reports `tokens` used."""

    def answer(path: str, body: Any) -> tuple[int, Any]:
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}
        prompt, completion = tokens
        return 200, {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                      "total_tokens": prompt + completion},
        }

    return answer


def forget_usage() -> None:
    """Drop the meter's Redis counters: shop ids restart in every test database, and this
    Redis db outlives the session, so an earlier session's counts would belong to new shops."""
    import os

    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        keys = list(client.scan_iter("usage:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
