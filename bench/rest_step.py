"""How long one user-task completion takes, from the bare engine up to the REST stack.

    python -m bench.rest_step [--steps N] [--deep-steps N] [--skip-postgres] [--json] [--profile]

Not a test: it prints figures. The process (bench/loop.bpmn) is one user task in a loop,
so every completion runs the same engine work (user task → gateway → script → user task)
while the instance's task tree grows by three tasks per completed step.

(1) engine floor   ProcessEngine.load + WorkflowRun.complete_user_task + WorkflowRun.dump,
                   repeated from one fixed snapshot (so every timed step sees the same size).
(2) REST           POST /api/v1/tasks/{id}/complete through the Flask test client with a real
                   bearer token, on SQLite (temp file) and PostgreSQL (schema `bench`).
                   "fresh": a new instance every WINDOW steps, timed while it has 5–14 completed
                   steps (centred on the engine floor's 10); "deep": one instance advanced to
                   300 completed steps untimed, then timed for --deep-steps further steps.
(3) REST / floor   per database, fresh instance.
(4) deep           the same at 300 completed steps, and deep median / fresh median.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import create_app
from service.config import Settings
from service.container import script_helpers
from service.engine.parser import SourceFile, parse_definitions
from service.engine.runtime import ProcessEngine, WorkflowRun
from service.services import accounts, definitions
from service.services.principal import Principal
from service.store import migrate

BPMN_PATH = Path(__file__).with_name("loop.bpmn")
PROCESS_KEY = "bench_loop"
START_DATA = {"round_no": 0, "target": 100000}
USERNAME, PASSWORD, ROLE = "bench", "bench-pass-1", "办理人"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "bench"

FRESH = 10  # completed steps of the engine floor's fresh snapshot
FRESH_FROM, WINDOW = 5, 10  # REST fresh: timed while the instance has 5..14 completed steps
DEEP = 300


# --------------------------------------------------------------------------- figures


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(samples_ns: list[int]) -> dict[str, float]:
    ms = [s / 1e6 for s in samples_ns]
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p95_ms": p95(ms),
        "min_ms": min(ms),
        "mean_ms": statistics.fmean(ms),
    }


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- (1) engine floor


class EngineFloor:
    """service.engine only: no database, no Flask."""

    VERSION_ID = 1

    def __init__(self) -> None:
        parsed = parse_definitions([SourceFile(BPMN_PATH.name, BPMN_PATH.read_bytes())])
        (process,) = [p for p in parsed if p.key == PROCESS_KEY]
        self.spec = process.spec
        self.engine = ProcessEngine(helpers=script_helpers())

    def snapshot(self, completed: int) -> tuple[str, str]:
        """The serialized state of an instance with `completed` finished steps, and its ready task."""
        run = self.engine.start(self.VERSION_ID, self.spec, START_DATA)
        for _ in range(completed):
            run.complete_user_task(_single_ready(run), {})
            run = self.engine.load(self.VERSION_ID, self.spec, run.dump())
        assert run.data["round_no"] == completed, run.data
        return run.dump(), _single_ready(run)

    def measure(self, completed: int, steps: int, warmup: int) -> dict[str, Any]:
        state, task_id = self.snapshot(completed)
        size = {
            "completed_steps": completed,
            "engine_tasks": len(self.engine.load(self.VERSION_ID, self.spec, state).workflow.tasks),
            "state_bytes": len(state.encode("utf-8")),
        }
        for _ in range(warmup):
            self._step(state, task_id)
        totals, loads, completes, dumps, extras = [], [], [], [], []
        gc.collect()
        for _ in range(steps):
            t0 = time.perf_counter_ns()
            run = self.engine.load(self.VERSION_ID, self.spec, state)
            t1 = time.perf_counter_ns()
            run.complete_user_task(task_id, {})
            t2 = time.perf_counter_ns()
            run.dump()
            t3 = time.perf_counter_ns()
            # Not part of the floor: the other engine reads save_progress makes on every step.
            run.ready_user_tasks()
            run.data  # noqa: B018
            t4 = time.perf_counter_ns()
            totals.append(t3 - t0)
            loads.append(t1 - t0)
            completes.append(t2 - t1)
            dumps.append(t3 - t2)
            extras.append(t4 - t3)
        return {
            **summary(totals),
            "size": size,
            "parts_median_ms": {
                "load": statistics.median(loads) / 1e6,
                "complete": statistics.median(completes) / 1e6,
                "dump": statistics.median(dumps) / 1e6,
                "ready_tasks_and_data": statistics.median(extras) / 1e6,
            },
        }

    def _step(self, state: str, task_id: str) -> str:
        run = self.engine.load(self.VERSION_ID, self.spec, state)
        run.complete_user_task(task_id, {})
        return run.dump()


def _single_ready(run: WorkflowRun) -> str:
    (view,) = run.ready_user_tasks()
    return view.id


# --------------------------------------------------------------------------- (2) REST


class RestBench:
    """The real app: create_app, migrated database, bearer token, test client."""

    def __init__(self, label: str, database_url: str) -> None:
        self.label = label
        overrides: dict[str, Any] = {"database_url": database_url}
        if "scheduler_enabled" in {f.name for f in dataclasses.fields(Settings)}:
            overrides["scheduler_enabled"] = False
        self.app = create_app(Settings(**overrides))
        self.container = self.app.extensions["xuanpin"]
        migrate.upgrade(self.container.db)
        accounts.add_user(self.container.db, USERNAME, PASSWORD, [ROLE], is_admin=True)
        definitions.deploy(
            self.container.db,
            Principal(username=USERNAME, is_admin=True),
            [SourceFile(BPMN_PATH.name, BPMN_PATH.read_bytes())],
        )
        self.client = self.app.test_client()
        response = self.client.post("/api/v1/auth/token", json={"username": USERNAME, "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def close(self) -> None:
        self.container.db.dispose()

    def start_instance(self) -> tuple[str, str]:
        response = self.client.post(
            "/api/v1/instances", json={"definition_key": PROCESS_KEY, "data": START_DATA}, headers=self.headers
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        instance_id = response.get_json()["id"]
        detail = self.client.get(f"/api/v1/instances/{instance_id}", headers=self.headers)
        assert detail.status_code == 200, detail.get_data(as_text=True)
        (task,) = detail.get_json()["open_tasks"]
        return instance_id, task["id"]

    def complete(self, task_id: str) -> str:
        """One completion; returns the id of the next open task."""
        response = self.client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}, headers=self.headers)
        if response.status_code != 200:
            raise RuntimeError(f"{self.label}: complete {task_id} → {response.status_code} {response.get_data(True)}")
        (task,) = response.get_json()["open_tasks"]
        return task["id"]

    def timed(self, task_id: str, samples: list[int]) -> str:
        t0 = time.perf_counter_ns()
        next_id = self.complete(task_id)
        samples.append(time.perf_counter_ns() - t0)
        return next_id

    def advance(self, task_id: str, steps: int) -> str:
        for _ in range(steps):
            task_id = self.complete(task_id)
        return task_id

    def instance_size(self, instance_id: str) -> dict[str, Any]:
        from service.store.models import Instance

        with self.container.db.transaction() as session:
            instance = session.get(Instance, instance_id)
            assert instance is not None
            return {"completed_steps": instance.data["round_no"], "state_bytes": len(instance.state.encode())}

    def measure_fresh(self, steps: int, warmup: int) -> dict[str, Any]:
        _, task_id = self.start_instance()
        self.advance(task_id, warmup)
        samples: list[int] = []
        gc.collect()
        while len(samples) < steps:
            _, task_id = self.start_instance()
            task_id = self.advance(task_id, FRESH_FROM)
            for _ in range(min(WINDOW, steps - len(samples))):
                task_id = self.timed(task_id, samples)
        return {**summary(samples), "window": f"{FRESH_FROM}..{FRESH_FROM + WINDOW - 1} completed"}

    def measure_deep(self, steps: int) -> dict[str, Any]:
        instance_id, task_id = self.start_instance()
        task_id = self.advance(task_id, DEEP)
        before = self.instance_size(instance_id)
        samples: list[int] = []
        gc.collect()
        for _ in range(steps):
            task_id = self.timed(task_id, samples)
        after = self.instance_size(instance_id)
        return {**summary(samples), "size_before": before, "size_after": after}


@contextmanager
def sqlite_url() -> Iterator[str]:
    directory = tempfile.mkdtemp(prefix="xuanpin-bench-")
    try:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """A dedicated schema, dropped and recreated at start and dropped at the end."""
    admin = create_engine(base)

    def reset(create: bool) -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            if create:
                connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))

    reset(create=True)
    url = make_url(base).update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        reset(create=False)
        admin.dispose()


def server_version(bench: RestBench) -> str:
    with bench.container.db.transaction() as session:
        if bench.container.db.is_sqlite:
            return "SQLite " + str(session.scalar(text("select sqlite_version()")))
        return "PostgreSQL " + str(session.scalar(text("show server_version")))


def run_rest(
    label: str, url: str, args: argparse.Namespace, profile: Callable[[RestBench], None] | None
) -> dict[str, Any]:
    bench = RestBench(label, url)
    try:
        result: dict[str, Any] = {"server": server_version(bench)}
        progress(f"{label}: fresh, {args.steps} timed steps")
        result["fresh"] = bench.measure_fresh(args.steps, args.warmup)
        progress(f"{label}: deep, advancing to {DEEP} (untimed) then {args.deep_steps} timed steps")
        result["deep"] = bench.measure_deep(args.deep_steps)
        if profile is not None:
            profile(bench)
        return result
    finally:
        bench.close()


def profiler(top: int) -> Callable[[RestBench], None]:
    def run(bench: RestBench) -> None:
        import cProfile
        import pstats

        for label, completed in (("fresh", FRESH), ("deep", DEEP)):
            _, task_id = bench.start_instance()
            task_id = bench.advance(task_id, completed)
            profile = cProfile.Profile()
            profile.enable()
            bench.advance(task_id, 50)
            profile.disable()
            print(f"\n=== cProfile {bench.label}, {label} ({completed} completed), 50 REST steps, "
                  f"top {top} by cumulative time ===", file=sys.stderr)
            stats = pstats.Stats(profile, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(top)

    return run


# --------------------------------------------------------------------------- report


def print_table(results: dict[str, Any]) -> None:
    env = results["environment"]
    floor = results["engine_floor"]
    dbs = results["rest"]
    print(f"选聘流 bench.rest_step — one user-task completion, times in ms ({env['timestamp']})")
    print(
        f"Python {env['python']} · SpiffWorkflow {env['spiffworkflow']} · SQLAlchemy {env['sqlalchemy']} · "
        f"Flask {env['flask']} · " + " · ".join(db["server"] for db in dbs.values()) + f" · {env['cpus']} CPUs"
    )
    print()
    print("Instance size               completed  engine tasks  state bytes")
    for name in ("fresh", "deep"):
        size = floor[name]["size"]
        print(f"  {name:<26}{size['completed_steps']:>9}{size['engine_tasks']:>14}{size['state_bytes']:>13,}")
    print()
    print("(1) Engine floor: load + complete_user_task + dump, no DB, same snapshot every step")
    print("                               n   median      p95     load complete     dump | ready+data")
    for name in ("fresh", "deep"):
        f = floor[name]
        parts = f["parts_median_ms"]
        label = f"{name} ({f['size']['completed_steps']} completed)"
        print(
            f"  {label:<24}{f['n']:>6}{f['median_ms']:>9.2f}{f['p95_ms']:>9.2f}"
            f"{parts['load']:>9.2f}{parts['complete']:>9.2f}{parts['dump']:>9.2f} |"
            f"{parts['ready_tasks_and_data']:>11.2f}"
        )
    print("  (ready+data = run.ready_user_tasks() + run.data, which save_progress adds; not in the floor)")
    print()
    print("(2) REST: POST /api/v1/tasks/{id}/complete via Flask test_client, bearer token, fresh instance")
    print(f"    (a new instance every {WINDOW} steps, timed at {FRESH_FROM}..{FRESH_FROM + WINDOW - 1} completed)")
    print("                               n   median      p95      min")
    for name, db in dbs.items():
        f = db["fresh"]
        print(f"  {name:<24}{f['n']:>6}{f['median_ms']:>9.2f}{f['p95_ms']:>9.2f}{f['min_ms']:>9.2f}")
    print()
    print("(3) REST / engine floor, fresh (medians; overhead = REST − floor)")
    for name, db in dbs.items():
        ratio = db["ratio_fresh"]
        print(
            f"  {name:<24}  median ×{ratio['median']:.1f}   p95 ×{ratio['p95']:.1f}   "
            f"overhead {ratio['overhead_ms']:.2f} ms"
        )
    print()
    print(f"(4) Deep instance: {DEEP} completed steps (REST: advanced untimed, then timed "
          f"{results['config']['deep_steps']} further steps)")
    print("                               n   median      p95   deep/fresh median   REST/floor median")
    f = floor["deep"]
    print(
        f"  {'engine floor':<24}{f['n']:>6}{f['median_ms']:>9.2f}{f['p95_ms']:>9.2f}"
        f"{'×' + format(floor['ratio_deep_to_fresh'], '.1f'):>20}{'—':>20}"
    )
    for name, db in dbs.items():
        d = db["deep"]
        print(
            f"  {name:<24}{d['n']:>6}{d['median_ms']:>9.2f}{d['p95_ms']:>9.2f}"
            f"{'×' + format(db['ratio_deep_to_fresh'], '.1f'):>20}"
            f"{'×' + format(db['ratio_deep']['median'], '.1f'):>20}"
        )
    for name, db in dbs.items():
        d = db["deep"]
        print(
            f"  {name}: timed from {d['size_before']['completed_steps']} to {d['size_after']['completed_steps']} "
            f"completed, state {d['size_before']['state_bytes']:,} → {d['size_after']['state_bytes']:,} bytes"
        )
    print()
    print(f"total wall time {results['elapsed_s']:.1f} s")


def ratio(rest: dict[str, Any], floor: dict[str, Any]) -> dict[str, float]:
    return {
        "median": rest["median_ms"] / floor["median_ms"],
        "p95": rest["p95_ms"] / floor["p95_ms"],
        "overhead_ms": rest["median_ms"] - floor["median_ms"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rest_step", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="timed steps per fresh measurement (300)")
    parser.add_argument("--deep-steps", type=int, default=100, help=f"timed REST steps after {DEEP} (100)")
    parser.add_argument("--warmup", type=int, default=30, help="untimed steps before timing (30)")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite and the engine floor only")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help=f"database to create schema `{SCHEMA}` in (env BENCH_POSTGRES_URL; default {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable results instead of the table")
    parser.add_argument("--profile", action="store_true", help="also cProfile 50 REST steps (to stderr)")
    parser.add_argument("--profile-top", type=int, default=25, help="rows of the profile (25)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.deep_steps < 1 or args.warmup < 0:
        parser.error("--steps and --deep-steps must be ≥ 1, --warmup ≥ 0")

    began = time.perf_counter()
    results: dict[str, Any] = {
        "config": {
            "steps": args.steps,
            "deep_steps": args.deep_steps,
            "warmup": args.warmup,
            "fresh_completed": FRESH,
            "rest_fresh_window": [FRESH_FROM, FRESH_FROM + WINDOW - 1],
            "deep_completed": DEEP,
        },
        "environment": {
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
            "python": platform.python_version(),
            "spiffworkflow": version("spiffworkflow"),
            "sqlalchemy": version("sqlalchemy"),
            "flask": version("flask"),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }

    progress(f"engine floor: {args.steps} steps at {FRESH} and at {DEEP} completed")
    floor_bench = EngineFloor()
    floor = {
        "fresh": floor_bench.measure(FRESH, args.steps, args.warmup),
        "deep": floor_bench.measure(DEEP, args.steps, args.warmup),
    }
    floor["ratio_deep_to_fresh"] = floor["deep"]["median_ms"] / floor["fresh"]["median_ms"]
    results["engine_floor"] = floor

    profile = profiler(args.profile_top) if args.profile else None
    rest: dict[str, Any] = {}
    with sqlite_url() as url:
        rest["sqlite"] = run_rest("sqlite", url, args, profile)
    if not args.skip_postgres:
        with postgres_url(args.postgres_url) as url:
            rest["postgresql"] = run_rest("postgresql", url, args, profile)
    for db in rest.values():
        db["ratio_fresh"] = ratio(db["fresh"], floor["fresh"])
        db["ratio_deep"] = ratio(db["deep"], floor["deep"])
        db["ratio_deep_to_fresh"] = db["deep"]["median_ms"] / db["fresh"]["median_ms"]
    results["rest"] = rest
    results["elapsed_s"] = time.perf_counter() - began

    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
