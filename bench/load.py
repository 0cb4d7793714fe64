"""A load run: simulated users against a real `xuanpin serve` on PostgreSQL.

    python -m bench.load [--users 50] [--duration 300] [--workers 2] [--open-per-user 5]
                         [--think 0] [--postgres-url URL] [--json]

Not a test: it prints figures. In a throw-away PostgreSQL schema (`bench_load`) the run creates
an admin and --users clerks (role 办理人, each with a password and a bearer token from
POST /api/v1/auth/token) and starts --open-per-user instances of bench/load.bpmn per clerk: one
user task 「办理一步」 assigned by name to the clerk (`${banliren}`), in a loop that never ends
within the run. Then it starts `xuanpin serve --workers N` as an operator would — the production
settings of service/config.py, scheduler on, only DATABASE_URL, PORT and XUANPIN_SECRET_KEY set —
and waits for /readyz.

Each simulated user is a thread with its own keep-alive HTTP connection, in a closed loop for
--duration seconds (after a 5 s warm-up that is not counted):
  1. GET /api/v1/tasks                          its inbox (first page; --open-per-user tasks)
  2. GET /api/v1/tasks/{id}                     one task of it, chosen at random
  3. POST /api/v1/tasks/{id}/complete {"data": {}}   the loop then opens the next round's task
then waits --think seconds (0: as fast as the server answers). Reported: requests and
completions per second, p50/p95/p99/max per request kind and over all, and errors (any answer
other than 200, or a transport error), with the first few error texts.

The client runs on the same machine as the server: on a small machine it takes CPU from it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import DEFAULT_POSTGRES_URL, postgres_url, progress
from service.config import Settings
from service.container import Container
from service.engine.parser import SourceFile
from service.services import accounts, definitions, instances
from service.services.principal import Principal
from service.store import migrate

BPMN_PATH = Path(__file__).with_name("load.bpmn")
PROCESS_KEY = "bench_load"
SCHEMA = "bench_load"
ROLE = "办理人"
PASSWORD = "load-pass-1"
ADMIN = Principal(username="load-admin", is_admin=True)
WARM_UP_S = 5.0
KINDS = ("inbox", "open", "complete")
ROOT = Path(__file__).resolve().parent.parent


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": percentile(ordered, 0.50),
        "p95_ms": percentile(ordered, 0.95),
        "p99_ms": percentile(ordered, 0.99),
        "max_ms": ordered[-1] if ordered else float("nan"),
    }


def prepare(url: str, users: int, open_per_user: int) -> list[str]:
    container = Container.build(Settings(database_url=url, scheduler_enabled=False))
    try:
        migrate.upgrade(container.db)
        accounts.add_user(container.db, ADMIN.username, PASSWORD, [], is_admin=True)
        definitions.deploy(container.db, ADMIN, [SourceFile(BPMN_PATH.name, BPMN_PATH.read_bytes())])
        names = [f"load{i:03d}" for i in range(users)]
        for name in names:
            accounts.add_user(container.db, name, PASSWORD, [ROLE])
        for name in names:
            for _ in range(open_per_user):
                data = {"banliren": name, "round_no": 0, "target": 10**9}
                instances.start(container, ADMIN, PROCESS_KEY, None, data)
        return names
    finally:
        container.db.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XUANPIN_", "PROMETHEUS_"))},
        "DATABASE_URL": url,
        "XUANPIN_SECRET_KEY": "bench-load-secret",
    }
    xuanpin = str(Path(sys.executable).parent / "xuanpin")
    command = [xuanpin, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"xuanpin serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"xuanpin serve did not become ready:\n{log.read_text()[-3000:]}")


@dataclass
class Tally:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0
    error_texts: list[str] = field(default_factory=list)
    completions: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_texts) < 5:
                self.error_texts.append(text[:300])


def simulate(base: str, name: str, until: float, counted_from: float, think: float, tally: Tally) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        issued = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
        issued.raise_for_status()
        client.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        rng = random.Random(name)

        def call(kind: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
            began = time.perf_counter()
            try:
                response = client.request(method, path, **kwargs)
            except httpx.HTTPError as error:
                tally.error(f"{kind}: {type(error).__name__}: {error}")
                return None
            elapsed = (time.perf_counter() - began) * 1000
            if began >= counted_from:
                tally.samples[kind].append(elapsed)  # list.append is atomic under the GIL
                if response.status_code != 200:
                    tally.error(f"{kind} {path} → {response.status_code} {response.text}")
            return response if response.status_code == 200 else None

        while time.perf_counter() < until:
            inbox = call("inbox", "GET", "/api/v1/tasks")
            if inbox is None or not inbox.json()["items"]:
                time.sleep(0.1)
                continue
            task = rng.choice(inbox.json()["items"])
            if call("open", "GET", f"/api/v1/tasks/{task['id']}") is None:
                continue
            done = call("complete", "POST", f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
            if done is not None and time.perf_counter() >= counted_from:
                with tally.lock:
                    tally.completions += 1
            if think:
                time.sleep(think)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with postgres_url(args.postgres_url, SCHEMA) as url:
        progress(f"creating {args.users} users and {args.users * args.open_per_user} open tasks")
        names = prepare(url, args.users, args.open_per_user)
        port = free_port()
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"xuanpin-load-{port}.log"
        progress(f"starting xuanpin serve --workers {args.workers} (log {log})")
        server = start_server(url, port, args.workers, log)
        tally = Tally()
        try:
            load_before = os.getloadavg()[0]
            began = time.perf_counter()
            counted_from = began + WARM_UP_S
            until = counted_from + args.duration
            progress(f"{args.users} users for {WARM_UP_S:g} s warm-up + {args.duration:g} s")
            threads = [
                threading.Thread(
                    target=simulate,
                    args=(f"http://127.0.0.1:{port}", name, until, counted_from, args.think, tally),
                )
                for name in names
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            measured = time.perf_counter() - counted_from
            load_after = os.getloadavg()[0]
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        everything = [s for kind in KINDS for s in tally.samples[kind]]
        return {
            "config": {
                "users": args.users,
                "duration_s": args.duration,
                "workers": args.workers,
                "open_per_user": args.open_per_user,
                "think_s": args.think,
                "warm_up_s": WARM_UP_S,
            },
            "environment": {
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_before": load_before,
                "load_after": load_after,
            },
            "measured_s": measured,
            "requests": len(everything),
            "requests_per_s": len(everything) / measured,
            "completions": tally.completions,
            "completions_per_s": tally.completions / measured,
            "errors": tally.errors,
            "error_texts": tally.error_texts,
            "all": figures(everything),
            **{kind: figures(tally.samples[kind]) for kind in KINDS},
            "server_tracebacks": log.read_text().count("Traceback"),
        }


def print_table(result: dict[str, Any]) -> None:
    config = result["config"]
    print(
        f"Load run {result['environment']['timestamp']}: {config['users']} users × "
        f"{config['duration_s']:g} s "
        f"(+{config['warm_up_s']:g} s warm-up), xuanpin serve --workers {config['workers']}, "
        f"think {config['think_s']:g} s, {result['environment']['cpus']} CPUs, load "
        f"{result['environment']['load_before']:.1f} → {result['environment']['load_after']:.1f}"
    )
    print(
        f"  {result['requests']:,} requests ({result['requests_per_s']:.1f}/s), "
        f"{result['completions']:,} completions ({result['completions_per_s']:.1f}/s), "
        f"errors {result['errors']}, server tracebacks {result['server_tracebacks']}"
    )
    print(f"  {'':<10}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in ("all", *KINDS):
        f = result[kind]
        print(
            f"  {kind:<10}{f['n']:>8,}{f['p50_ms']:>10.1f}{f['p95_ms']:>10.1f}"
            f"{f['p99_ms']:>10.1f}{f['max_ms']:>10.1f}"
        )
    for text in result["error_texts"]:
        print(f"  error: {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users (50)")
    parser.add_argument("--duration", type=float, default=300.0, help="measured seconds (300)")
    parser.add_argument("--workers", type=int, default=2, help="xuanpin serve --workers (2)")
    parser.add_argument("--open-per-user", type=int, default=5, help="open tasks in each inbox (5)")
    parser.add_argument("--think", type=float, default=0.0, help="seconds between a user's rounds (0)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help=f"database for schema `{SCHEMA}` (env BENCH_POSTGRES_URL; default {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    args = parser.parse_args(argv)
    if args.users < 1 or args.duration <= 0 or args.open_per_user < 1:
        parser.error("--users and --open-per-user must be ≥ 1, --duration > 0")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_table(result)
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
