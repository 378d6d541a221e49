"""Real message servers for tests: an SMTP server (aiosmtpd) and an HTTP gateway receiver, on loopback ports.

Both run in threads of the test process and keep what they received, so tests can read the messages that the
worker really sent over the wire.
"""
from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server accepted: one parsed message per delivery, with its envelope recipients."""

    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd API
        if address in self.box.refuse:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.box.messages.append(email.message_from_bytes(envelope.content))
        self.box.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """An SMTP server on a free loopback port for the duration of the block."""
    box = Mailbox(free_port())
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Gateway:
    """What the HTTP gateway received: (headers, raw body, parsed JSON) per request; `status` is its answer."""

    port: int
    requests: list[tuple[dict, bytes, dict]] = field(default_factory=list)
    status: int = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"


@contextmanager
def gateway_receiver() -> Iterator[Gateway]:
    """An HTTP server that records every POST and answers `gateway.status`."""
    gw = Gateway(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            gw.requests.append((dict(self.headers), body, json.loads(body)))
            self.send_response(gw.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", gw.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gw
    finally:
        server.shutdown()
        server.server_close()
