"""Moving pending deadlines when the working-day calendar changes.

A deadline computed with `add_workdays` remembers the first day of its period; when a day
inside a pending period changes, or a year without official data gets its schedule, the
timer expression and the task due dates are evaluated again on the new calendar.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time

from sqlalchemy import or_, select

from service.container import Container
from service.domain.status import InstanceStatus, TaskStatus
from service.engine.errors import ExecutionError
from service.services import audit
from service.services.errors import Conflict, NotFound
from service.services.unit_of_work import Advancing, advance
from service.store.models import Task, Timer
from service.timeutil import SHANGHAI

log = logging.getLogger(__name__)

_ATTEMPTS = 3


def recompute_deadlines(app: Container, changed: list[date]) -> int:
    """Re-evaluate affected waiting timers and open task due dates; returns instances updated."""
    if not changed:
        return 0
    first = datetime.combine(min(changed), time.min, SHANGHAI)
    last = max(changed)
    with app.db.transaction() as session:
        timers = session.execute(
            select(Timer.instance_id, Timer.task_id).where(
                Timer.status == "waiting",
                Timer.kind == "date",
                or_(Timer.provisional.is_(True), (Timer.period_start <= last) & (Timer.due_at >= first)),
            )
        ).all()
        tasks = session.scalars(
            select(Task.instance_id).where(
                Task.status == "open",
                or_(Task.due_provisional.is_(True), (Task.due_period_start <= last) & (Task.due_at >= first)),
            )
        ).all()
    affected: dict[str, set[str]] = defaultdict(set)
    for instance_id, task_id in timers:
        affected[instance_id].add(task_id)
    for instance_id in tasks:
        affected.setdefault(instance_id, set())
    updated = 0
    dates = sorted({day.isoformat() for day in changed})
    for instance_id, timer_tasks in affected.items():
        updated += _recompute_instance(app, instance_id, timer_tasks, dates)
    return updated


def _moved(task_id: str, title: str, old: datetime | None, new: datetime | None) -> dict[str, str | None]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {"task_id": task_id, "title": title, "from": iso(old), "to": iso(new)}


def _recompute_instance(app: Container, instance_id: str, timer_tasks: set[str], dates: list[str]) -> int:
    def work(unit: Advancing) -> int:
        session, instance, run = unit.session, unit.instance, unit.run
        before = {t.task_id: t.due_at for t in run.waiting_timers()}
        open_tasks = list(
            session.scalars(
                select(Task).where(Task.instance_id == instance.id, Task.status == TaskStatus.OPEN)
            )
        )
        tasks_before = {task.id: task.due_at for task in open_tasks}
        kept = run.recompute_stored_deadlines()  # first: timers may read them
        for task_id in timer_tasks:
            run.reevaluate_timer(task_id)
        unit.save()
        if kept:
            data = dict(instance.data or {})
            data.update({key: new for key, (old, new) in kept.items() if data.get(key) == old})
            instance.data = data
        # What the calendar change moved, from and to, so the case's history can say it.
        timers_moved = [
            _moved(t.task_id, t.title, before[t.task_id], t.due_at)
            for t in run.waiting_timers()
            if t.task_id in before and before[t.task_id] != t.due_at
        ]
        tasks_moved = [
            _moved(task.id, task.title, tasks_before[task.id], task.due_at)
            for task in open_tasks
            if task.status == TaskStatus.OPEN and tasks_before[task.id] != task.due_at
        ]
        audit.record(
            session,
            "system",
            "deadlines.recomputed",
            instance.id,
            calendar_dates=dates,
            timers=timers_moved,
            tasks=tasks_moved,
            data_moved={key: {"from": old, "to": new} for key, (old, new) in kept.items()},
        )
        return 1

    def failed(unit: Advancing, error: ExecutionError) -> int:
        # The case keeps its former deadlines and runs on; the trail and the log say why.
        audit.record(
            unit.session,
            "system",
            "deadlines.recompute_failed",
            unit.instance.id,
            calendar_dates=dates,
            error=error.message,
        )
        return 0

    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return advance(
                app,
                instance_id,
                work,
                actor="system",
                doing="按新日历重算期限",
                on_failure=failed,
                # A suspended case's deadlines move too: on resume its timers fire by the new dates.
                statuses=(InstanceStatus.RUNNING, InstanceStatus.SUSPENDED),
                on_status=lambda _instance: 0,
            )
        except NotFound:
            return 0
        except Conflict:  # changed by a request meanwhile: evaluate again on what it saved
            log.info("deadlines of instance %s: write conflict, attempt %s", instance_id, attempt)
    log.error("deadlines of instance %s not recomputed after %s attempts", instance_id, _ATTEMPTS)
    return 0
