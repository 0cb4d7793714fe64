"""How long one user-task completion takes, from the bare engine up to the REST stack.

    python -m bench.rest_step [--steps N] [--deep N] [--deep-steps N] [--skip-postgres] [--json] [--profile]

Not a test: it prints figures. The process (bench/loop.bpmn) is one user task in a loop,
so every completion runs the same engine work (user task → gateway → script → user task)
while the instance's task tree grows by three tasks per completed step.

(1) engine floor   ProcessEngine.load + WorkflowRun.complete_user_task + WorkflowRun.dump,
                   repeated from one fixed snapshot (so every timed step sees the same size).
(2) REST           POST /api/v1/tasks/{id}/complete through the Flask test client with a real
                   bearer token, on SQLite (temp file) and PostgreSQL (schema `bench`).
                   "fresh": a new instance every WINDOW steps, timed while it has 5–14 completed
                   steps (centred on the engine floor's 10); "deep": one instance advanced
                   untimed, then timed for --deep-steps steps in a window centred on --deep (300).
(3) REST / floor   per database, fresh instance.
(4) deep           the same around 300 completed steps, and deep median / fresh median.

Why the deep window is centred rather than starting at 300: with SpiffWorkflow 3.2 a loop nests
each round one level deeper in the task tree, and its TaskIterator stops at max_depth=1000, so
this process silently stalls (running, no READY task) after 332 completed steps. The default
window 270..329 stays below that; a larger one fails with an explanatory error.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.common import add_database_options, postgres_url, progress, sqlite_url, summary_ms
from service import create_app
from service.config import Settings
from service.engine.parser import SourceFile, parse_definitions
from service.engine.runtime import ProcessEngine, WorkflowRun
from service.services import accounts, definitions
from service.services.principal import Principal
from service.store import migrate

BPMN_PATH = Path(__file__).with_name("loop.bpmn")
PROCESS_KEY = "bench_loop"
START_DATA = {"round_no": 0, "target": 100000}
USERNAME, PASSWORD, ROLE = "bench", "bench-pass-1", "办理人"
SCHEMA = "bench"

FRESH = 10  # completed steps of the engine floor's fresh snapshot
FRESH_FROM, WINDOW = 5, 10  # REST fresh: timed while the instance has 5..14 completed steps
DEEP = 300  # default centre of the deep window (--deep)
PROFILE_STEPS = 50  # REST steps per cProfile run (--profile)


# --------------------------------------------------------------------------- figures


def summary(samples_ns: list[int]) -> dict[str, float]:
    return summary_ms([s / 1e6 for s in samples_ns])


class GcMeter:
    """Time spent in the cyclic garbage collector while a measurement runs (gc.callbacks)."""

    def __init__(self) -> None:
        self.ns = 0
        self.collections = [0, 0, 0]
        self.active = True  # collections while inactive (untimed steps) are not counted
        self._started = 0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter_ns()
        elif self.active:
            self.ns += time.perf_counter_ns() - self._started
            self.collections[info["generation"]] += 1

    @contextmanager
    def measuring(self) -> Iterator[GcMeter]:
        gc.collect()
        gc.callbacks.append(self._callback)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._callback)

    def figures(self, samples_ns: list[int]) -> dict[str, Any]:
        return {
            "gc_ms_total": self.ns / 1e6,
            "gc_share": self.ns / max(1, sum(samples_ns)),
            "gc_collections_by_generation": list(self.collections),
        }


# --------------------------------------------------------------------------- (1) engine floor


class EngineFloor:
    """service.engine only: no database, no Flask."""

    VERSION_ID = 1

    def __init__(self) -> None:
        parsed = parse_definitions([SourceFile(BPMN_PATH.name, BPMN_PATH.read_bytes())])
        (process,) = [p for p in parsed if p.key == PROCESS_KEY]
        self.spec = process.spec
        # No script helpers: the app's (calendar functions) need a database, and the loop calls none.
        self.engine = ProcessEngine(time_limit=Settings.script_time_limit_seconds)

    def snapshot(self, completed: int, reach: int = 0) -> tuple[str, str]:
        """The serialized state of an instance with `completed` finished steps, and its ready task.

        With `reach`, first checks that the instance can go on to `reach` completed steps, so a
        REST window the engine cannot run fails here, in seconds, rather than minutes later.
        """
        run = self.engine.start(self.VERSION_ID, self.spec, START_DATA)
        snapshot = None
        for done in range(max(completed, reach) + 1):
            if done == completed:
                snapshot = run.dump(), _single_ready(run)
            if done == max(completed, reach):
                break
            run.complete_user_task(_single_ready(run), {})
            run = self.engine.load(self.VERSION_ID, self.spec, run.dump())
        assert snapshot is not None
        return snapshot

    def measure(self, completed: int, steps: int, warmup: int, reach: int = 0) -> dict[str, Any]:
        state, task_id = self.snapshot(completed, reach)
        size = {
            "completed_steps": completed,
            "engine_tasks": len(self.engine.load(self.VERSION_ID, self.spec, state).workflow.tasks),
            "state_bytes": len(state.encode("utf-8")),
        }
        for _ in range(warmup):
            self._step(state, task_id)
        totals, loads, completes, dumps, extras = [], [], [], [], []
        with GcMeter().measuring() as meter:
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
            # GC time in the untimed extras counts too, so take the share of everything measured.
            gc_figures = meter.figures([t + e for t, e in zip(totals, extras, strict=True)])
        return {
            **summary(totals),
            **gc_figures,
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


STALLED = (
    "the instance is running but has no open task. With SpiffWorkflow 3.2 this loop stalls after "
    "332 completed steps (its task tree gets deeper than TaskIterator's max_depth=1000). "
    "Use a smaller --deep / --deep-steps."
)


def _single_ready(run: WorkflowRun) -> str:
    views = run.ready_user_tasks()
    if not views and not run.completed:
        raise RuntimeError(f"engine floor, after {run.data['round_no']} completed steps: {STALLED}")
    (view,) = views
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
            "/api/v1/instances",
            json={"definition_key": PROCESS_KEY, "data": START_DATA},
            headers=self.headers,
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        instance_id = response.get_json()["id"]
        detail = self.client.get(f"/api/v1/instances/{instance_id}", headers=self.headers)
        assert detail.status_code == 200, detail.get_data(as_text=True)
        (task,) = detail.get_json()["open_tasks"]
        return instance_id, task["id"]

    def complete(self, task_id: str) -> str:
        """One completion; returns the id of the next open task."""
        response = self.client.post(
            f"/api/v1/tasks/{task_id}/complete", json={"data": {}}, headers=self.headers
        )
        if response.status_code != 200:
            raise RuntimeError(
                f"{self.label}: complete {task_id} → {response.status_code} {response.get_data(True)}"
            )
        body = response.get_json()
        if not body["open_tasks"] and body["status"] == "running":
            raise RuntimeError(f"{self.label}, after completing task {task_id}: {STALLED}")
        (task,) = body["open_tasks"]
        return task["id"]

    def timed(self, task_id: str, samples: list[int], meter: GcMeter) -> str:
        meter.active = True
        t0 = time.perf_counter_ns()
        next_id = self.complete(task_id)
        samples.append(time.perf_counter_ns() - t0)
        meter.active = False
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
        with GcMeter().measuring() as meter:
            meter.active = False
            while len(samples) < steps:
                _, task_id = self.start_instance()
                task_id = self.advance(task_id, FRESH_FROM)
                for _ in range(min(WINDOW, steps - len(samples))):
                    task_id = self.timed(task_id, samples, meter)
        return {
            **summary(samples),
            **meter.figures(samples),
            "window": [FRESH_FROM, FRESH_FROM + WINDOW - 1],
        }

    def measure_deep(self, centre: int, steps: int) -> dict[str, Any]:
        first = centre - steps // 2
        instance_id, task_id = self.start_instance()
        task_id = self.advance(task_id, first)
        before = self.instance_size(instance_id)
        samples: list[int] = []
        with GcMeter().measuring() as meter:
            for _ in range(steps):
                task_id = self.timed(task_id, samples, meter)
        after = self.instance_size(instance_id)
        return {
            **summary(samples),
            **meter.figures(samples),
            "window": [first, first + steps - 1],
            "size_before": before,
            "size_after": after,
        }


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
        first = args.deep - args.deep_steps // 2
        progress(f"{label}: deep, advancing to {first} (untimed) then {args.deep_steps} timed steps")
        result["deep"] = bench.measure_deep(args.deep, args.deep_steps)
        if profile is not None:
            profile(bench)
        return result
    finally:
        bench.close()


def profiler(top: int, deep: int, steps: int = PROFILE_STEPS) -> Callable[[RestBench], None]:
    """cProfile `steps` REST completions at the fresh and at the deep size (output to stderr)."""

    def run(bench: RestBench) -> None:
        import cProfile
        import pstats

        for label, first in (("fresh", FRESH), ("deep", deep - steps // 2)):
            progress(f"{bench.label}: profiling {steps} steps from {first} completed")
            _, task_id = bench.start_instance()
            task_id = bench.advance(task_id, first)
            profile = cProfile.Profile()
            profile.enable()
            bench.advance(task_id, steps)
            profile.disable()
            print(
                f"\n=== cProfile {bench.label}, {label}: {steps} REST steps from {first} completed ===",
                file=sys.stderr,
            )
            stats = pstats.Stats(profile, stream=sys.stderr)
            print(f"--- service/ functions, top {top} by cumulative time", file=sys.stderr)
            stats.sort_stats("cumulative").print_stats(r"/service/", top)
            print(f"--- all functions, top {top} by own time", file=sys.stderr)
            stats.sort_stats("tottime").print_stats(top)

    return run


# --------------------------------------------------------------------------- report


def _gc_cell(figures: dict[str, Any]) -> str:
    return f"{100 * figures['gc_share']:5.0f}% ({figures['gc_collections_by_generation'][2]} full)"


def print_table(results: dict[str, Any]) -> None:
    env = results["environment"]
    config = results["config"]
    floor = results["engine_floor"]
    dbs = results["rest"]
    print(f"选聘流 bench.rest_step — one user-task completion, times in ms ({env['timestamp']})")
    print(
        f"Python {env['python']} · SpiffWorkflow {env['spiffworkflow']} · SQLAlchemy {env['sqlalchemy']} · "
        f"Flask {env['flask']} · "
        + " · ".join(db["server"] for db in dbs.values())
        + f" · {env['cpus']} CPUs"
    )
    load = " ".join(f"{v:.2f}" for v in env["load_average"])
    print(
        f"steps={config['steps']} deep-steps={config['deep_steps']} warmup={config['warmup']} · "
        f"load average at start {load} (other work on the machine skews every figure)"
    )
    print()
    print("Instance size               completed  engine tasks  state bytes")
    for name in ("fresh", "deep"):
        size = floor[name]["size"]
        print(f"  {name:<26}{size['completed_steps']:>9}{size['engine_tasks']:>14}{size['state_bytes']:>13,}")
    print()
    print("(1) Engine floor: load + complete_user_task + dump, no DB, same snapshot every step")
    print(
        "                               n   median      p95     load complete     dump | ready+data   gc time"
    )
    for name in ("fresh", "deep"):
        f = floor[name]
        parts = f["parts_median_ms"]
        label = f"{name} ({f['size']['completed_steps']} completed)"
        print(
            f"  {label:<24}{f['n']:>6}{f['median_ms']:>9.2f}{f['p95_ms']:>9.2f}"
            f"{parts['load']:>9.2f}{parts['complete']:>9.2f}{parts['dump']:>9.2f} |"
            f"{parts['ready_tasks_and_data']:>11.2f}  {_gc_cell(f)}"
        )
    print("  load/complete/dump are medians of each part; ready+data = run.ready_user_tasks() + run.data,")
    print(
        "  which save_progress adds on every step (not in the floor); gc time = share spent in the cyclic GC"
    )
    print()
    low, high = config["rest_fresh_window"]
    print("(2) REST: POST /api/v1/tasks/{id}/complete via Flask test_client + bearer token, fresh instances")
    print(f"    (a new instance every {WINDOW} steps, timed while it has {low}..{high} completed steps)")
    print("                               n   median      p95      min   gc time")
    for name, db in dbs.items():
        f = db["fresh"]
        print(
            f"  {name:<24}{f['n']:>6}{f['median_ms']:>9.2f}{f['p95_ms']:>9.2f}{f['min_ms']:>9.2f}"
            f"  {_gc_cell(f)}"
        )
    print()
    print("(3) REST / engine floor, fresh (overhead = REST median − floor median)")
    for name, db in dbs.items():
        r = db["ratio_fresh"]
        print(
            f"  {name:<24}  median ×{r['median']:.1f}   p95 ×{r['p95']:.1f}"
            f"   overhead {r['overhead_ms']:.2f} ms"
        )
    print()
    print(f"(4) Deep instance, ~{config['deep_completed']} completed steps")
    print("                               n   median      p95   gc time        deep/fresh    REST/floor")
    f = floor["deep"]
    print(
        f"  {'engine floor':<24}{f['n']:>6}{f['median_ms']:>9.2f}{f['p95_ms']:>9.2f}  {_gc_cell(f):<14}"
        f"{'×' + format(floor['ratio_deep_to_fresh'], '.1f'):>7}{'—':>14}"
    )
    for name, db in dbs.items():
        d = db["deep"]
        print(
            f"  {name:<24}{d['n']:>6}{d['median_ms']:>9.2f}{d['p95_ms']:>9.2f}  {_gc_cell(d):<14}"
            f"{'×' + format(db['ratio_deep_to_fresh'], '.1f'):>7}"
            f"{'×' + format(db['ratio_deep']['median'], '.1f'):>14}"
        )
    print(f"  engine floor: the snapshot at {f['size']['completed_steps']} completed, repeated")
    for name, db in dbs.items():
        d = db["deep"]
        print(
            f"  {name}: one instance advanced untimed, timed from {d['size_before']['completed_steps']} to "
            f"{d['size_after']['completed_steps']} completed (state {d['size_before']['state_bytes']:,} → "
            f"{d['size_after']['state_bytes']:,} bytes)"
        )
    print(
        "  deep/fresh = deep median / fresh median;  REST/floor = REST deep median / engine floor deep median"
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
    parser.add_argument("--steps", type=int, default=300, help="timed steps of each fresh measurement (300)")
    parser.add_argument(
        "--deep", type=int, default=DEEP, help=f"completed steps of the deep instance ({DEEP})"
    )
    parser.add_argument(
        "--deep-steps", type=int, default=60, help="timed REST steps in a window centred on --deep (60)"
    )
    parser.add_argument("--warmup", type=int, default=30, help="untimed steps before timing (30)")
    add_database_options(parser, SCHEMA)
    parser.add_argument(
        "--profile", action="store_true", help=f"also cProfile {PROFILE_STEPS} REST steps per size (stderr)"
    )
    parser.add_argument("--profile-top", type=int, default=25, help="rows of each profile (25)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.deep_steps < 1 or args.warmup < 0:
        parser.error("--steps and --deep-steps must be ≥ 1, --warmup ≥ 0")
    half = max(args.deep_steps, PROFILE_STEPS if args.profile else 0) // 2
    if args.deep - half < FRESH:
        parser.error(
            f"--deep must be at least {FRESH} + half of --deep-steps (of {PROFILE_STEPS} with --profile)"
        )

    began = time.perf_counter()
    results: dict[str, Any] = {
        "config": {
            "steps": args.steps,
            "deep_steps": args.deep_steps,
            "warmup": args.warmup,
            "fresh_completed": FRESH,
            "rest_fresh_window": [FRESH_FROM, FRESH_FROM + WINDOW - 1],
            "deep_completed": args.deep,
        },
        "environment": {
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
            "python": platform.python_version(),
            "spiffworkflow": version("spiffworkflow"),
            "sqlalchemy": version("sqlalchemy"),
            "flask": version("flask"),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
    }

    progress(f"engine floor: {args.steps} steps at {FRESH} and at {args.deep} completed")
    reach = args.deep - args.deep_steps // 2 + args.deep_steps
    if args.profile:
        reach = max(reach, args.deep + PROFILE_STEPS - PROFILE_STEPS // 2)
    floor_bench = EngineFloor()
    floor = {
        "fresh": floor_bench.measure(FRESH, args.steps, args.warmup),
        # reach: check in memory first that the REST deep window (and the profile's) can be run
        "deep": floor_bench.measure(args.deep, args.steps, args.warmup, reach=reach),
    }
    floor["ratio_deep_to_fresh"] = floor["deep"]["median_ms"] / floor["fresh"]["median_ms"]
    results["engine_floor"] = floor

    profile = profiler(args.profile_top, args.deep) if args.profile else None
    rest: dict[str, Any] = {}
    with sqlite_url() as url:
        rest["sqlite"] = run_rest("sqlite", url, args, profile)
    if not args.skip_postgres:
        with postgres_url(args.postgres_url, SCHEMA) as url:
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
