"""Log lines as JSON objects (XUANPIN_LOG_FORMAT=json), with the request, case and actor.

Each line carries `request_id` (the client's X-Request-Id when it is a plain token, else one of
ours, echoed in the response), `instance_id` (the case being advanced, also on the scheduler's
threads) and `actor` (the username). What a line never carries: headers, query strings, bodies,
passwords or tokens — the fields are a fixed list, and the message is the code's own text."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
actor: ContextVar[str | None] = ContextVar("actor", default=None)
instance_id: ContextVar[str | None] = ContextVar("instance_id", default=None)

_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
# Extra fields a call may pass (`log.info(..., extra={...})`) that are safe to print.
_EXTRA = ("method", "route", "path", "status", "duration_ms", "worker")


@contextmanager
def working_on(instance: str, who: str | None = None) -> Iterator[None]:
    """Lines logged meanwhile name the case (and the actor, where no request names one)."""
    tokens = [instance_id.set(instance)]
    if who is not None and actor.get() is None:
        tokens.append(actor.set(who))
    try:
        yield
    finally:
        for var, token in zip((instance_id, actor), tokens, strict=False):
            var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id.get(),
            "instance_id": instance_id.get(),
            "actor": actor.get(),
        }
        for name in _EXTRA:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a line is written (as logging's last resort does),
    not to the stream of start-up: gunicorn and test runners swap it."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure(log_format: str) -> None:
    """JSON: one handler on the root logger, INFO and up, gunicorn's loggers through it too.
    Text: left as it was (gunicorn's own format; Python's default elsewhere)."""
    if log_format != "json":
        return
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return  # another app in this process configured it already
    handler = _Stderr()
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    # SpiffWorkflow logs every task state change at INFO: thousands of lines per case.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    for name in ("gunicorn.error", "gunicorn.access"):
        gunicorn = logging.getLogger(name)
        gunicorn.handlers = []
        gunicorn.propagate = True
