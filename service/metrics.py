"""Prometheus metrics: what the service counts as it works, and what is read at scrape time.

`xuanpin serve` runs several gunicorn workers, each with its own scheduler. It points
PROMETHEUS_MULTIPROC_DIR at a fresh temporary directory before the workers fork
(service/wsgi_server.py): every worker writes its samples to files there, and a scrape answered
by any worker adds up all of them. Without the variable (tests, one process) samples live in
memory. prometheus_client picks its storage when it is first imported, so it is imported here
only on first use — never in the gunicorn master, which imports the CLI (and this module) before
it sets the variable.

The gauges that describe the database (open tasks, webhook backlog) are not kept in memory:
`exposition` asks the database at each scrape, so every worker answers alike and none has to
keep them current."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from service.container import Container
from service.domain.status import TaskStatus
from service.store.models import Task, WebhookDelivery

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Timers can be due for long while the service was down: the upper buckets say "how much".
_LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, float("inf"))


@dataclass(frozen=True)
class _Instruments:
    request_seconds: Any
    task_completions: Any
    timer_lag_seconds: Any
    engine_step_seconds: Any


_created: list[_Instruments] = []
_creating = threading.Lock()


def _instruments() -> _Instruments:
    if _created:
        return _created[0]
    with _creating:  # a worker's request threads all want them at once
        if not _created:
            _created.append(_create())
    return _created[0]


def _create() -> _Instruments:
    from prometheus_client import Counter, Histogram

    # registry=None: not in the default registry; `exposition` builds the one a scrape reads.
    return _Instruments(
        request_seconds=Histogram(
            "xuanpin_http_request_duration_seconds",
            "HTTP 请求耗时（按路由规则、方法与状态码）",
            ["method", "route", "status"],
            registry=None,
        ),
        task_completions=Counter("xuanpin_task_completions", "已办理完成的用户任务数", registry=None),
        timer_lag_seconds=Histogram(
            "xuanpin_timer_lag_seconds", "定时器从到期到触发的延迟", buckets=_LAG_BUCKETS, registry=None
        ),
        engine_step_seconds=Histogram(
            "xuanpin_engine_step_seconds", "一次推进（载入实例、引擎运行与保存进度）的耗时", registry=None
        ),
    )


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    _instruments().request_seconds.labels(method, route, str(status)).observe(seconds)


def task_completed() -> None:
    _instruments().task_completions.inc()


def timer_fired(lag_seconds: float) -> None:
    _instruments().timer_lag_seconds.observe(max(0.0, lag_seconds))


@contextmanager
def engine_step() -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        _instruments().engine_step_seconds.observe(time.perf_counter() - began)


def _database_gauges(app: Container) -> list[Any]:
    """Two indexed counts (cheap at 100,000 rows), read at each scrape."""
    from prometheus_client.core import GaugeMetricFamily

    with app.db.transaction() as session:
        open_tasks = session.scalar(select(func.count()).where(Task.status == TaskStatus.OPEN))
        backlog = dict(
            session.execute(
                select(WebhookDelivery.status, func.count())
                .where(WebhookDelivery.status.in_(("pending", "dead")))
                .group_by(WebhookDelivery.status)
            ).all()
        )
    tasks = GaugeMetricFamily("xuanpin_open_tasks", "当前待办（未完成）的用户任务数", value=open_tasks or 0)
    outbox = GaugeMetricFamily(
        "xuanpin_outbox_backlog",
        "Webhook 投递积压（pending：等待投递或重试；dead：重试期满已放弃）",
        labels=["state"],
    )
    for state in ("pending", "dead"):
        outbox.add_metric([state], backlog.get(state, 0))
    return [tasks, outbox]


class _Gauges:
    def __init__(self, app: Container) -> None:
        self.app = app

    def collect(self) -> list[Any]:
        return _database_gauges(self.app)


def exposition(app: Container) -> tuple[bytes, str]:
    """The text a scrape receives, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    instruments = _instruments()
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.MultiProcessCollector(registry)  # every worker's files, added up
    else:
        for instrument in vars(instruments).values():
            registry.register(instrument)
    registry.register(_Gauges(app))  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_worker_gone(pid: int) -> None:
    """gunicorn's child_exit: a dead worker's live gauges must not linger (we keep none, but
    prometheus_client's own bookkeeping asks for it)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
