"""A real `xuanpin serve` (gunicorn, several worker processes) for tests marked `live`.

The Flask test client runs every request in one process, which hides what only several
processes show (each worker's own caches, a case started on one worker and continued on
another). A live test drives the same `Api` helper over real HTTP, one new connection per
request so the kernel spreads them over the workers. The server follows the test's clock:
before each request the test process writes the time it believes (time-machine included) to
the file named by XUANPIN_TEST_CLOCK_FILE, which the server reads as now.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.timeutil import utcnow

LIVE_WORKERS = 3
ROOT = Path(__file__).resolve().parent.parent


class LiveResponse:
    """The parts of Flask's test response the tests read, over an httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers
        self.content_type = response.headers.get("content-type", "")

    @property
    def json(self) -> Any:
        return self._response.json() if "json" in self.content_type else None

    def get_data(self, as_text: bool = False) -> Any:
        return self._response.text if as_text else self._response.content


class LiveClient:
    """Flask-test-client-shaped calls (`json=`, `data=`, `query_string=`) against a server."""

    def __init__(self, base_url: str, clock_file: Path, application: Any) -> None:
        self.base_url = base_url
        self.clock_file = clock_file
        # The in-process app shares the database: tests tick timers and read rows through it.
        self.application = application
        self.killed_workers = 0  # by the test itself, to play the worker timeout

    def open(self, method: str, path: str, **kwargs: Any) -> LiveResponse:
        self._sync_clock()
        headers = dict(kwargs.pop("headers", None) or {})
        request: dict[str, Any] = {"params": kwargs.pop("query_string", None), "headers": headers}
        if "json" in kwargs:
            request["content"] = json.dumps(kwargs.pop("json"), ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        data = kwargs.pop("data", None)
        content_type = kwargs.pop("content_type", None)
        if isinstance(data, dict) and content_type == "multipart/form-data":
            request["files"] = [
                (field, (name, stream.read() if isinstance(stream, io.IOBase) else stream))
                for field, items in data.items()
                for stream, name in items
            ]
        elif data is not None:
            request["content"] = data if isinstance(data, bytes | str) else None
            request["data"] = data if isinstance(data, dict) else None
            if content_type:
                headers["Content-Type"] = content_type
        if kwargs:
            raise TypeError(f"LiveClient does not support {sorted(kwargs)}")
        request = {key: value for key, value in request.items() if value is not None}
        # A new connection each time: requests land on whichever worker accepts first.
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            return LiveResponse(client.request(method, path, **request))

    def get(self, path: str, **kwargs: Any) -> LiveResponse:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> LiveResponse:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> LiveResponse:
        return self.open("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> LiveResponse:
        return self.open("DELETE", path, **kwargs)

    def _sync_clock(self) -> None:
        # One staged file per thread: tests send requests from several threads at once.
        staged = self.clock_file.with_suffix(f".{threading.get_ident()}.new")
        staged.write_text(utcnow().isoformat())
        os.replace(staged, self.clock_file)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"xuanpin serve exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"xuanpin serve did not answer within 180 s:\n{log.read_text()[-3000:]}")


@pytest.fixture()
def live_client(app: Any, settings: Any, tmp_path: Path) -> Iterator[LiveClient]:
    """A fresh server per test: its workers cache definition versions by id, and the test
    database is emptied (ids reused on SQLite) between tests."""
    port = _free_port()
    clock_file = tmp_path / "clock"
    client = LiveClient(f"http://127.0.0.1:{port}", clock_file, app)
    client._sync_clock()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "XUANPIN_SCHEDULER": "0",  # the test fires timers itself, on its own clock
        "XUANPIN_TEST_CLOCK_FILE": str(clock_file),
        "XUANPIN_SCRIPT_TIME_LIMIT": str(settings.script_time_limit_seconds),
        "XUANPIN_TOKEN_TTL_HOURS": str(settings.token_ttl_hours),
        "XUANPIN_WORKER_TIMEOUT": str(settings.worker_timeout_seconds),
        "XUANPIN_SECRET_KEY": "live-test-secret",
    }
    xuanpin = str(Path(sys.executable).parent / "xuanpin")
    command = [xuanpin, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(LIVE_WORKERS)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(process, client.base_url, log)
        yield client
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    served_by = _worker_pids(log)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    # Each worker a test kills is replaced by one more booting.
    assert len(served_by) == LIVE_WORKERS + client.killed_workers, served_by


def _worker_pids(log: Path) -> set[str]:
    lines = log.read_text().splitlines()
    return {line.split("pid: ")[1].split(")")[0] for line in lines if "Booting worker" in line}
