"""How late timers fire, and how fast due timers are fired, on SQLite and PostgreSQL.

    python -m bench.timers [--single N] [--gap S] [--count N] [--create-budget S]
                           [--skip-postgres] [--postgres-url URL] [--json]
                           [--profile [--profile-count N] [--profile-top N]]
                           [--only lateness|throughput|profile]

Not a test: it prints figures. The process (bench/timer_wait.bpmn) is start → intermediate
catch timer (timeDate `faqi_shijian`, an ISO date-time with +08:00 from the start data) →
user task 「到期处理」 (lane 工作组) → end.

(1) lateness   A real TimerScheduler runs in the process, as the app runs it (container.scheduler
               = scheduler; scheduler.start()). N instances are started one after another through
               service.services.instances.start, one every --gap seconds, each with a due time
               0.5–1.5 s ahead (real time, no time travel). Lateness of a timer = fired_at − due_at,
               both read from its `timers` row (fired_at is set in the transaction that advances
               the instance, just before it commits).
               "same replica": instances started through the scheduler's own container, so the
               start service wakes the scheduler for the exact due time (sweep every 10 s).
               "other replica": instances started through a second Container built from the same
               Settings, whose scheduler is None; the running scheduler (sweep every 2 s) only
               learns of them at its next tick, which then plans a wake for the earliest due
               timer. Each row is split by the tick that fired the timer (a log of tick start/end
               times and kinds): a wake-up < 10 ms after due, a later wake-up (TimerScheduler._plan
               wakes at max(due, now + 200 ms), so a timer due < 200 ms after a tick ended waits
               up to 200 ms), or the sweep.
(2) throughput --count instances (10,000) whose timer is due at the same moment (2099-01-02 09:00
               +08:00) are created through instances.start (not timed into the firing figure,
               reported separately). Then, inside time_machine.travel(due + 1 s, tick=True), two
               threads (two Containers built from the same Settings, as two replicas) call
               services.timers.fire_due at once; reported: wall time until both return, this
               process's CPU time, timers/s, and checks that every timer fired exactly once. The
               creation time is projected after 200 and every 500 creations; if it would exceed
               --create-budget (180 s), the count is cut to 2,000 (or to what exists by then) and
               the 10,000 figure is extrapolated (linearly) and labelled so.
(3) --profile  cProfile of one fire_due call firing --profile-count (500) timers, single worker,
               per database (stderr): top 10 by cumulative time, service/ functions only, top by
               own time, and what services.timers.fire calls.

(2) forks one process per replica (--threads: two threads of one interpreter, sharing the GIL,
as before 2026-12-08); each fires in batches of XUANPIN_TIMER_BATCH per transaction. A
database per part: a temp SQLite file, or the PostgreSQL schema `bench_timers`, created and
dropped (reached through ?options=-csearch_path=bench_timers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import time_machine
from sqlalchemy import text

from bench.common import add_database_options, postgres_url, progress, sqlite_url, summary_ms
from service.config import Settings
from service.container import Container
from service.engine.parser import SourceFile
from service.scheduler import TimerScheduler
from service.services import definitions, instances
from service.services import timers as timer_service
from service.services.principal import Principal
from service.store import migrate
from service.timeutil import SHANGHAI, utcnow

BPMN_PATH = Path(__file__).with_name("timer_wait.bpmn")
PROCESS_KEY = "bench_timer_wait"
TASK_TITLE = "到期处理"
PRINCIPAL = Principal(username="bench", is_admin=True)
SCHEMA = "bench_timers"

LEAD_MIN, LEAD_MAX = 0.5, 1.5  # seconds between starting an instance and its timer's due time
LOCAL_SWEEP = 10.0  # the app's default sweep (Settings.timer_sweep_seconds)
REPLICA_SWEEP = 2.0  # shorter than the default, to keep the "other replica" part short
FULL_COUNT, REDUCED_COUNT = 10_000, 2_000
ESTIMATE_AFTER = 200  # creations timed before projecting the creation time of the whole count
BUDGET_CHECK = 500  # and again every so many creations (the machine's load may change)
WORKERS = 2
FAR_DUE = datetime(2099, 1, 2, 9, 0, tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- figures


# --------------------------------------------------------------------------- databases


def fresh_database(label: str, postgres_base: str) -> Callable[[], Any]:
    """A context manager factory: every part gets an empty database of its own."""
    return sqlite_url if label == "sqlite" else (lambda: postgres_url(postgres_base, SCHEMA))


def settings_for(url: str) -> Settings:
    # The bench builds containers itself; the scheduler is started by hand where it is wanted.
    return Settings(database_url=url, scheduler_enabled=False)


def prepared(url: str) -> Container:
    """Migrated database with the bench process deployed; returns the first container."""
    container = Container.build(settings_for(url))
    migrate.upgrade(container.db)
    definitions.deploy(container.db, PRINCIPAL, [SourceFile(BPMN_PATH.name, BPMN_PATH.read_bytes())])
    return container


def scalar(container: Container, sql: str, **params: Any) -> Any:
    with container.db.transaction() as session:
        return session.scalar(text(sql), params)


def server_version(container: Container) -> str:
    if container.db.is_sqlite:
        return "SQLite " + str(scalar(container, "select sqlite_version()"))
    return "PostgreSQL " + str(scalar(container, "show server_version")).split()[0]


def start_instance(container: Container, due: datetime) -> str:
    instance = instances.start(
        container, PRINCIPAL, PROCESS_KEY, None, {"faqi_shijian": due.astimezone(SHANGHAI).isoformat()}
    )
    return instance.id


# --------------------------------------------------------------------------- (1) lateness


@dataclass
class Tick:
    kind: str  # sweep | wake
    started: datetime
    ended: datetime
    fired: int


@dataclass
class TickLog:
    """Wraps TimerScheduler.tick (bench side only) to see when it ran, why, and what it fired.

    start() registers the sweep job with the method it finds on the instance then; every
    wake-up (_plan) looks the method up when it plans. Installing one wrapper before start()
    and another after it tells sweeps and wake-ups apart.
    """

    ticks: list[Tick] = field(default_factory=list)
    running: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, scheduler: TimerScheduler, original: Callable[[], int], kind: str) -> None:
        def tick() -> int:
            began = utcnow()
            with self.lock:
                self.running += 1
            fired = 0
            try:
                fired = original()
            finally:
                with self.lock:
                    self.running -= 1
                self.ticks.append(Tick(kind, began, utcnow(), fired))
            return fired

        scheduler.tick = tick  # type: ignore[method-assign]

    def drain(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.01)


@contextmanager
def running_scheduler(container: Container, sweep_seconds: float) -> Iterator[TickLog]:
    """What the app does (service.start_scheduler), with the sweep interval given."""
    scheduler = TimerScheduler(container, sweep_seconds=sweep_seconds)
    original = scheduler.tick
    log = TickLog()
    log.wrap(scheduler, original, "sweep")
    container.scheduler = scheduler
    scheduler.start()
    log.wrap(scheduler, original, "wake")
    try:
        yield log
    finally:
        scheduler.shutdown()
        container.scheduler = None
        log.drain()  # shutdown(wait=False) leaves a running tick to finish on its own


def paced_starts(
    container: Container, count: int, gap: float, rng: random.Random
) -> list[tuple[str, datetime]]:
    """Start `count` instances one every `gap` seconds, each due LEAD_MIN..LEAD_MAX s ahead."""
    started = []
    began = time.monotonic()
    for i in range(count):
        pause = began + i * gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        due = utcnow() + timedelta(seconds=rng.uniform(LEAD_MIN, LEAD_MAX))
        started.append((start_instance(container, due), due))
    return started


def wait_all_fired(container: Container, timeout: float) -> int:
    """Poll until no timer waits; returns how many still wait at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = scalar(container, "select count(*) from timers where status = 'waiting'")
        if not waiting or time.monotonic() > deadline:
            return int(waiting)
        time.sleep(0.1)


def timer_rows(container: Container, instance_ids: list[str]) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from service.store.models import AuditEvent, Timer

    with container.db.transaction() as session:
        rows = session.execute(
            select(Timer.instance_id, Timer.status, Timer.created_at, Timer.due_at, Timer.fired_at).where(
                Timer.instance_id.in_(instance_ids)
            )
        ).all()
        audit_at = dict(
            session.execute(
                select(AuditEvent.instance_id, AuditEvent.at).where(
                    AuditEvent.action == "timer.fired", AuditEvent.instance_id.in_(instance_ids)
                )
            ).all()
        )
    return [{**row._asdict(), "audit_at": audit_at.get(row.instance_id)} for row in rows]


ON_TIME = timedelta(milliseconds=10)
# TimerScheduler._plan wakes at max(due_at, now + 200 ms): meant for due timers that did not fire,
# it also applies to a timer falling due less than 200 ms after a tick ends.
PLAN_FLOOR = timedelta(milliseconds=200)
CAUSES = {
    "on_time": "wake-up < 10 ms after due",
    "late_wake": "wake-up ≥ 10 ms after due",
    "sweep": "fired by the sweep",
}


def firing_tick(row: dict[str, Any], ticks: list[Tick]) -> Tick | None:
    """The tick that fired a timer: of the ticks running at fired_at, the earliest started (a
    later one is waiting on TimerScheduler's lock)."""
    running = [t for t in ticks if t.started <= row["fired_at"] <= t.ended]
    return min(running, key=lambda t: t.started) if running else None


def lateness_figures(rows: list[dict[str, Any]], ticks: list[Tick]) -> dict[str, Any]:
    fired = [r for r in rows if r["status"] == "fired" and r["fired_at"] is not None]
    late = [(r["fired_at"] - r["due_at"]).total_seconds() * 1e3 for r in fired]
    audit_late = [(r["audit_at"] - r["due_at"]).total_seconds() * 1e3 for r in fired if r["audit_at"]]
    lead = [(r["due_at"] - r["created_at"]).total_seconds() for r in rows]
    by_cause: dict[str, list[float]] = {key: [] for key in CAUSES}
    floor_explained = 0
    for row, millis in zip(fired, late, strict=True):
        tick = firing_tick(row, ticks)
        if tick is None or tick.kind == "sweep":
            by_cause["sweep"].append(millis)
        elif tick.started - row["due_at"] < ON_TIME:
            by_cause["on_time"].append(millis)
        else:
            by_cause["late_wake"].append(millis)
            # Is the late wake-up 200 ms after the end of an earlier tick (± 20 ms)?
            if any(
                abs((tick.started - (t.ended + PLAN_FLOOR)).total_seconds()) < 0.02
                for t in ticks
                if t.ended < tick.started
            ):
                floor_explained += 1
    firing_ticks = sum(1 for t in ticks if t.fired)
    return {
        **summary_ms(late),
        "not_fired": len(rows) - len(fired),
        "by_cause": {key: summary_ms(values) for key, values in by_cause.items()},
        "late_wakes_200ms_after_a_tick_ended": floor_explained,
        "audit_at": summary_ms(audit_late),
        "lead_s": {"min": min(lead), "max": max(lead)} if lead else {},
        "ticks": {
            "total": len(ticks),
            "sweeps": sum(1 for t in ticks if t.kind == "sweep"),
            "firing": firing_ticks,
            "empty": len(ticks) - firing_ticks,
        },
    }


def measure_lateness(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    container = prepared(url)
    other = Container.build(settings_for(url))  # "another replica": no scheduler of its own
    rng = random.Random(20260101)
    result: dict[str, Any] = {"server": server_version(container), "load_before": os.getloadavg()[0]}
    timeout = LEAD_MAX + max(LOCAL_SWEEP, REPLICA_SWEEP) + 20
    try:
        progress(f"{label}: {args.single} timers started here, scheduler sweep {LOCAL_SWEEP:g} s")
        with running_scheduler(container, LOCAL_SWEEP) as log:
            time.sleep(0.3)  # let the start-up sweep pass: from now on only wake-ups fire timers
            ticks_before = len(log.ticks)
            started = paced_starts(container, args.single, args.gap, rng)
            wait_all_fired(container, timeout)
        rows = timer_rows(container, [i for i, _ in started])
        result["same_replica"] = lateness_figures(rows, log.ticks[ticks_before:])

        progress(f"{label}: {args.single} timers started by another replica, sweep {REPLICA_SWEEP:g} s")
        with running_scheduler(container, REPLICA_SWEEP) as log:
            time.sleep(0.3)
            ticks_before = len(log.ticks)
            started = paced_starts(other, args.single, args.gap, rng)
            wait_all_fired(container, timeout)
        rows = timer_rows(container, [i for i, _ in started])
        result["other_replica"] = lateness_figures(rows, log.ticks[ticks_before:])
    finally:
        other.db.dispose()
        container.db.dispose()
    return result


# --------------------------------------------------------------------------- (2) throughput


def create_due_together(container: Container, count: int, budget: float, label: str) -> dict[str, Any]:
    """Start instances all due at FAR_DUE. Every BUDGET_CHECK creations (the first time after
    ESTIMATE_AFTER), project the time for the whole count; over the budget, stop at
    REDUCED_COUNT (or at once, if that many exist already)."""
    requested = count
    reduced = False
    began, cpu_began = time.perf_counter(), time.process_time()
    i = 0
    while i < count:
        start_instance(container, FAR_DUE)
        i += 1
        if count > REDUCED_COUNT and not reduced and (i == ESTIMATE_AFTER or i % BUDGET_CHECK == 0):
            projected = (time.perf_counter() - began) / i * count
            if projected > budget:
                new_count = max(REDUCED_COUNT, i)
                progress(
                    f"{label}: creating {count:,} would take ~{projected:.0f} s (> {budget:g} s), "
                    f"reducing to {new_count:,}"
                )
                count, reduced = new_count, True
        if i % 1000 == 0:
            progress(f"{label}: created {i:,}/{count:,}")
    seconds = time.perf_counter() - began
    return {
        "requested": requested,
        "count": count,
        "reduced": reduced,
        "create_s": seconds,
        "create_cpu_s": time.process_time() - cpu_began,
        "create_per_s": count / seconds,
    }


def fire_in_parallel(containers: list[Container], processes: bool) -> dict[str, Any]:
    """fire_due in one thread per container, or (processes) one forked process per container:
    the aim's "two replica processes", each with its own interpreter and connection pool."""
    if processes:
        return _fire_in_processes(containers)
    barrier = threading.Barrier(len(containers) + 1)
    fired = [0] * len(containers)
    ended = [0.0] * len(containers)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            fired[index] = timer_service.fire_due(containers[index], f"replica-{index}")
        except BaseException as error:  # reported, not swallowed
            errors.append(error)
        ended[index] = time.perf_counter()

    with time_machine.travel(FAR_DUE + timedelta(seconds=1), tick=True):
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(containers))]
        for thread in threads:
            thread.start()
        barrier.wait()
        began, cpu_began = time.perf_counter(), time.process_time()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        cpu = time.process_time() - cpu_began
    if errors:
        raise errors[0]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "per_worker_fired": fired,
        "per_worker_s": [e - began for e in ended],
    }


def _fire_in_processes(containers: list[Container]) -> dict[str, Any]:
    import multiprocessing
    import resource

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(containers) + 1)
    results = context.Queue()
    for container in containers:
        container.db.dispose()  # no pooled connection crosses the fork

    def run(index: int) -> None:
        container = containers[index]
        container.db.dispose()
        barrier.wait()
        with time_machine.travel(FAR_DUE + timedelta(seconds=1), tick=True):
            fired = timer_service.fire_due(container, f"replica-{index}")
        results.put((index, fired, time.perf_counter()))

    children = [context.Process(target=run, args=(i,)) for i in range(len(containers))]
    for child in children:
        child.start()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    barrier.wait()
    began = time.perf_counter()
    fired = [0] * len(containers)
    ended = [0.0] * len(containers)
    for _ in children:
        index, count, end = results.get(timeout=3600)
        fired[index], ended[index] = count, end
    for child in children:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"replica process exited with {child.exitcode}")
    wall = time.perf_counter() - began
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "per_worker_fired": fired,
        "per_worker_s": [e - began for e in ended],
        "replicas": "processes",
    }


def check_once(container: Container) -> dict[str, int]:
    return {
        "timers_fired": scalar(container, "select count(*) from timers where status = 'fired'"),
        "timers_waiting": scalar(container, "select count(*) from timers where status = 'waiting'"),
        "audit_timer_fired": scalar(
            container, "select count(*) from audit_events where action = 'timer.fired'"
        ),
        "audit_instances_fired_twice": scalar(
            container,
            "select count(*) from (select instance_id from audit_events where action = 'timer.fired' "
            "group by instance_id having count(*) > 1) twice",
        ),
        "tasks": scalar(container, "select count(*) from tasks where title = :title", title=TASK_TITLE),
        "instances_running": scalar(container, "select count(*) from instances where status = 'running'"),
    }


def measure_throughput(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    container = prepared(url)
    workers = [container] + [Container.build(settings_for(url)) for _ in range(WORKERS - 1)]
    try:
        progress(f"{label}: creating {args.count:,} instances due {FAR_DUE.isoformat()} (untimed)")
        result: dict[str, Any] = {"server": server_version(container), "load_before": os.getloadavg()[0]}
        result.update(create_due_together(container, args.count, args.create_budget, label))
        count = result["count"]
        progress(f"{label}: firing {count:,} due timers with {WORKERS} workers")
        result["load_before_firing"] = os.getloadavg()[0]
        result.update(fire_in_parallel(workers, processes=not args.threads))
        result["load_after"] = os.getloadavg()[0]
        result["timers_per_s"] = count / result["wall_s"]
        result["fired"] = sum(result["per_worker_fired"])
        checks = check_once(container)
        result["checks"] = checks
        result["exactly_once"] = (
            result["fired"] == count
            and checks["timers_fired"] == count
            and checks["timers_waiting"] == 0
            and checks["audit_timer_fired"] == count
            and checks["audit_instances_fired_twice"] == 0
            and checks["tasks"] == count
        )
        if count != FULL_COUNT:
            result["extrapolated_10000"] = {
                "wall_s": result["wall_s"] * FULL_COUNT / count,
                "create_s": result["create_s"] * FULL_COUNT / count,
            }
        return result
    finally:
        for worker in workers:
            worker.db.dispose()


# --------------------------------------------------------------------------- (3) profile


def profile_fire_due(label: str, url: str, count: int, top: int) -> None:
    import cProfile
    import pstats

    container = prepared(url)
    try:
        progress(f"{label}: profiling fire_due of {count} timers (creation untimed)")
        for _ in range(count):
            start_instance(container, FAR_DUE)
        profile = cProfile.Profile()
        with time_machine.travel(FAR_DUE + timedelta(seconds=1), tick=True):
            began = time.perf_counter()
            profile.enable()
            fired = timer_service.fire_due(container, "profiler")
            profile.disable()
            seconds = time.perf_counter() - began
        print(
            f"\n=== cProfile {label}: fire_due fired {fired} timers in {seconds:.2f} s "
            f"(under the profiler), one worker ===",
            file=sys.stderr,
        )
        stats = pstats.Stats(profile, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(top)
        print(f"--- service/ functions, top {top} by cumulative time", file=sys.stderr)
        stats.sort_stats("cumulative").print_stats(r"/service/", top)
        print(f"--- all functions, top {top} by own time", file=sys.stderr)
        stats.sort_stats("tottime").print_stats(top)
        print("--- what services.timers.fire calls (cumulative time per callee)", file=sys.stderr)
        stats.sort_stats("cumulative").print_callees(r"services/timers.py:\d+\(fire\)$")
    finally:
        container.db.dispose()


# --------------------------------------------------------------------------- report


def _lat_row(name: str, f: dict[str, Any], extra: str = "") -> str:
    if not f.get("n"):
        return f"  {name:<44}{0:>4}       —       —       —       —  {extra}".rstrip()
    return (
        f"  {name:<44}{f['n']:>4}{f['median_ms']:>8.1f}{f['p95_ms']:>8.1f}{f['max_ms']:>8.1f}"
        f"{f['min_ms']:>8.1f}  {extra}"
    ).rstrip()


def print_lateness(results: dict[str, Any]) -> None:
    config = results["config"]
    print("(1) Lateness = timers.fired_at − timers.due_at, a real running TimerScheduler, no time travel")
    print(
        f"    {config['single']} instances per row, started {config['gap_s']:g} s apart via "
        f"instances.start, each due {LEAD_MIN:g}–{LEAD_MAX:g} s after its start"
    )
    print(f"{'n  median     p95     max     min (ms)  scheduler ticks':>106}")
    for name, db in results["lateness"].items():
        for key, title in (
            ("same_replica", f"same replica, sweep {LOCAL_SWEEP:g} s"),
            ("other_replica", f"other replica, sweep {REPLICA_SWEEP:g} s"),
        ):
            f = db[key]
            t = f["ticks"]
            extra = f"{t['total']} ({t['sweeps']} sweeps; {t['firing']} fired ≥1, {t['empty']} none)"
            if f["not_fired"]:
                extra += f"  NOT FIRED: {f['not_fired']}"
            print(_lat_row(f"{name:<11}{title}", f, extra))
            for cause_key, cause_title in CAUSES.items():
                part = f["by_cause"][cause_key]
                if part.get("n"):
                    note = ""
                    if cause_key == "late_wake":
                        explained = f["late_wakes_200ms_after_a_tick_ended"]
                        note = f"{explained} of them 200±20 ms after a tick ended"
                    print(_lat_row(f"{'':<13}↳ {cause_title}", part, note))
    print(
        "  same replica: instances.start wakes the scheduler for the exact due time\n"
        "  (container.timer_created). Other replica: started through a second Container whose\n"
        f"  scheduler is None; the sweep ({REPLICA_SWEEP:g} s here, 10 s by default) finds them, or a tick\n"
        "  that ended after the timer was created plans a wake-up for the earliest due timer.\n"
        "  ↳ by the tick that fired each timer (a log of tick start/end times). A wake-up late by up to\n"
        "  200 ms: a tick that ended < 200 ms before the next due time planned the wake-up at\n"
        "  max(due, now + 200 ms) (TimerScheduler._plan)."
    )
    loads = ", ".join(f"{name} {db['load_before']:.1f}" for name, db in results["lateness"].items())
    print(f"  1-min load average at the start: {loads}")
    for name, db in results["lateness"].items():
        a, b = db["same_replica"]["audit_at"], db["other_replica"]["audit_at"]
        if a.get("n") and b.get("n"):
            print(
                f"  {name}: by audit timer.fired `at` instead: median {a['median_ms']:.1f} / "
                f"{b['median_ms']:.1f} ms, max {a['max_ms']:.1f} / {b['max_ms']:.1f} ms "
                "(same / other replica)"
            )
    print()


def print_throughput(results: dict[str, Any]) -> None:
    config = results["config"]
    print(
        f"(2) Throughput: N timers due at the same moment; fire_due in {WORKERS} processes "
        "(--threads: threads) "
        f"({WORKERS} Containers from the\n    same Settings, as two replicas), inside "
        "time_machine.travel(due + 1 s, tick=True)"
    )
    print(
        "                   N  create s   cpu s  create/s │ fire wall s   cpu s  timers/s  "
        "per worker (fired in s)         once"
    )
    for name, db in results["throughput"].items():
        workers = ", ".join(
            f"{n:,} in {s:.1f}" for n, s in zip(db["per_worker_fired"], db["per_worker_s"], strict=True)
        )
        print(
            f"  {name:<12}{db['count']:>8,}{db['create_s']:>10.1f}{db['create_cpu_s']:>8.1f}"
            f"{db['create_per_s']:>10.0f} │{db['wall_s']:>12.1f}{db['cpu_s']:>8.1f}"
            f"{db['timers_per_s']:>10.0f}  {workers:<32}{'yes' if db['exactly_once'] else 'NO':>5}"
        )
    for name, db in results["throughput"].items():
        c = db["checks"]
        print(
            f"  {name}: 1-min load average before creating {db['load_before']:.1f}, before firing "
            f"{db['load_before_firing']:.1f}, after {db['load_after']:.1f}"
        )
        print(
            f"  {name}: fire_due returned {db['fired']:,}; timers fired {c['timers_fired']:,}, waiting "
            f"{c['timers_waiting']}; audit timer.fired {c['audit_timer_fired']:,} (instances fired "
            f"twice: {c['audit_instances_fired_twice']}); tasks 「{TASK_TITLE}」 {c['tasks']:,}"
        )
        if db["reduced"]:
            print(
                f"  {name}: creating {db['requested']:,} was projected to exceed the "
                f"{config['create_budget_s']:g} s budget, so N was reduced to {db['count']:,}"
            )
        if "extrapolated_10000" in db:
            x = db["extrapolated_10000"]
            print(
                f"  {name}: EXTRAPOLATED (linearly, not measured) to 10,000 timers: "
                f"fire wall ≈ {x['wall_s']:.0f} s, creation ≈ {x['create_s']:.0f} s"
            )
    print("  create s: instances.start in a loop, one after another (not part of the firing figure)")
    print(
        "  cpu s: CPU time of this process (all threads); far below the wall time means waiting\n"
        "  (locks, I/O, the database server, or other processes taking the CPUs)"
    )
    print()


def print_table(results: dict[str, Any]) -> None:
    env = results["environment"]
    parts = [results[part] for part in ("lateness", "throughput")]
    servers = sorted({db["server"] for part in parts for db in part.values()})
    print(f"选聘流 bench.timers — timer lateness and firing throughput ({env['timestamp']})")
    print(
        f"Python {env['python']} · SpiffWorkflow {env['spiffworkflow']} · SQLAlchemy {env['sqlalchemy']} · "
        f"APScheduler {env['apscheduler']} · " + " · ".join(servers) + f" · {env['cpus']} CPUs"
    )
    load = " ".join(f"{v:.2f}" for v in env["load_average"])
    print(f"load average at start {load} (other work on the machine skews every figure)")
    print()
    if results["lateness"]:
        print_lateness(results)
    if results["throughput"]:
        print_throughput(results)
    end = " ".join(f"{v:.2f}" for v in env["load_average_end"])
    print(f"total wall time {results['elapsed_s']:.1f} s · load average at the end {end}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=40, help="timers per lateness row (40)")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between starts in (1) (0.25)")
    parser.add_argument(
        "--count", type=int, default=FULL_COUNT, help=f"timers due together in (2) ({FULL_COUNT:,})"
    )
    parser.add_argument(
        "--create-budget",
        type=float,
        default=180.0,
        help=f"seconds creation in (2) may take per database before N drops to {REDUCED_COUNT:,} (180)",
    )
    add_database_options(parser, SCHEMA)
    parser.add_argument(
        "--threads",
        action="store_true",
        help="(2) fire with two threads of this process (the old set-up) instead of two processes",
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="also cProfile fire_due per database (stderr)")
    parser.add_argument(
        "--profile-count", type=int, default=500, help="timers fired under the profiler (500)"
    )
    parser.add_argument("--profile-top", type=int, default=10, help="rows of each profile (10)")
    parser.add_argument(
        "--only", choices=("lateness", "throughput", "profile"), help="run one part only (for quick checks)"
    )
    args = parser.parse_args(argv)
    if args.single < 1 or args.count < 1 or args.gap < 0 or args.profile_count < 1:
        parser.error("--single, --count and --profile-count must be ≥ 1, --gap ≥ 0")

    began = time.perf_counter()
    results: dict[str, Any] = {
        "config": {
            "single": args.single,
            "gap_s": args.gap,
            "lead_s": [LEAD_MIN, LEAD_MAX],
            "local_sweep_s": LOCAL_SWEEP,
            "replica_sweep_s": REPLICA_SWEEP,
            "count": args.count,
            "create_budget_s": args.create_budget,
            "workers": WORKERS,
            "due_together": FAR_DUE.isoformat(),
        },
        "environment": {
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
            "python": platform.python_version(),
            "spiffworkflow": version("spiffworkflow"),
            "sqlalchemy": version("sqlalchemy"),
            "apscheduler": version("apscheduler"),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "lateness": {},
        "throughput": {},
    }
    labels = ([] if args.skip_sqlite else ["sqlite"]) + ([] if args.skip_postgres else ["postgresql"])
    for label in labels:
        database = fresh_database(label, args.postgres_url)
        if args.only in (None, "lateness"):
            with database() as url:
                results["lateness"][label] = measure_lateness(label, url, args)
        if args.only in (None, "throughput"):
            with database() as url:
                results["throughput"][label] = measure_throughput(label, url, args)
        if args.profile or args.only == "profile":
            with database() as url:
                profile_fire_due(label, url, args.profile_count, args.profile_top)
    results["elapsed_s"] = time.perf_counter() - began
    results["environment"]["load_average_end"] = list(os.getloadavg())

    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
