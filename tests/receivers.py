"""Real receivers on loopback for the integration tests: an HTTP endpoint and an SMTP server."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Answers (status, body) given in turn; then 200 "{}".
    answers: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_request: Callable[[Received], None] | None = None


@contextmanager
def http_receiver(*answers: tuple[int, str]) -> Iterator[Receiver]:
    receiver = Receiver(url="")
    receiver.answers.extend(answers)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server calls it by this name
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            item = Received({k.lower(): v for k, v in self.headers.items()}, body)
            if receiver.on_request is not None:
                receiver.on_request(item)
            with receiver.lock:
                receiver.requests.append(item)
                status, text = receiver.answers.pop(0) if receiver.answers else (200, "{}")
            data = text.encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    port: int
    messages: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """Just enough SMTP (HELO/EHLO, MAIL, RCPT, DATA, QUIT) for smtplib to hand a message over."""
    box = Mailbox(port=0)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 localhost test SMTP\r\n")
            sender, recipients = None, []
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                command = line.decode().strip()
                upper = command.upper()
                if upper.startswith(("EHLO", "HELO")):
                    self.wfile.write(b"250 localhost\r\n")
                elif upper.startswith("MAIL FROM:"):
                    sender = command[10:].strip()
                    self.wfile.write(b"250 OK\r\n")
                elif upper.startswith("RCPT TO:"):
                    recipients.append(command[8:].strip().strip("<>"))
                    self.wfile.write(b"250 OK\r\n")
                elif upper == "DATA":
                    self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data)
                    box.messages.append({"from": sender, "to": recipients, "data": b"".join(lines)})
                    sender, recipients = None, []
                    self.wfile.write(b"250 OK queued\r\n")
                elif upper == "QUIT":
                    self.wfile.write(b"221 Bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
