"""退回 and 撤回: sending an open task back to an earlier step, taking back one's own step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from service.container import Container
from service.domain.signers import waiting_refusal
from service.domain.status import TaskStatus
from service.engine.errors import TaskNotReady
from service.engine.rewind import ActedOn, NotReturnable, Rewound
from service.services import audit, own_records
from service.services.authorization import require_may_act_on
from service.services.errors import Conflict, Forbidden, Invalid
from service.services.principal import Principal
from service.services.task_operations import completion_refusal
from service.services.tasks import Completion, _require_open, _visible_task, advance_task
from service.services.unit_of_work import Advancing
from service.store.models import Instance, ProcessDefinition, Task
from service.timeutil import utcnow


@dataclass(frozen=True)
class ReturnTargetView:
    element_id: str
    title: str
    completed_by: list[str]
    completed_at: datetime | None
    multi_instance: bool


def return_targets(app: Container, principal: Principal, task_id: str) -> list[ReturnTargetView]:
    """The earlier steps the open task can be sent back to, nearest first, with who did them."""
    with app.db.transaction() as session:
        task = _visible_task(app, session, principal, task_id)
        _require_open(task)
        _may_return(principal, task)
        instance = session.get(Instance, task.instance_id)
        assert instance is not None
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
        try:
            targets = run.return_targets(task.id)
        except TaskNotReady:
            raise Conflict(f"任务「{task.title}」已不在待办状态，请刷新") from None
        ids = [step for target in targets for step in target.step_ids]
        done_by = dict(
            session.execute(select(Task.id, Task.completed_by).where(Task.id.in_(ids))).all() if ids else []
        )
        return [
            ReturnTargetView(
                target.element_id,
                target.title,
                [who for step in target.step_ids if (who := done_by.get(step))],
                target.completed_at,
                target.multi_instance,
            )
            for target in targets
        ]


def return_task(
    app: Container, principal: Principal, task_id: str, target: str, comment: str | None
) -> Completion:
    """退回: only someone who may work on the task (or an admin) sends it back."""

    def work(unit: Advancing, task: Task) -> Completion:
        _require_open(task)
        _may_return(principal, task)
        if (delegated := completion_refusal(task)) is not None:
            raise Conflict(f"任务「{task.title}」正在委派中，不能退回：{delegated}")
        if (waiting := waiting_refusal(task.signoff, task.title, "退回")) is not None:
            raise Conflict(waiting)
        reason = f"「{task.title}」由 {principal.username} 退回" + (f"：{comment}" if comment else "")
        try:
            rewound = unit.run.return_to(task.id, target, reason)
        except TaskNotReady:
            raise Conflict(f"任务「{task.title}」已不在待办状态，请刷新") from None
        except NotReturnable as error:
            raise Invalid(
                f"{error.message}；可退回的步骤见 GET /api/v1/tasks/{task_id}/return-targets"
            ) from None
        audit.record(
            unit.session,
            principal.username,
            "task.returned",
            unit.instance.id,
            task.id,
            title=task.title,
            target=rewound.element_id,
            target_title=rewound.title,
            comment=comment,
            cancelled=list(rewound.dropped),
        )
        return _saved(unit, rewound, principal.username)

    return advance_task(app, principal, task_id, work, doing=lambda title: f"退回「{title}」")


def withdraw(app: Container, principal: Principal, task_id: str, comment: str | None) -> Completion:
    """撤回: the person who completed the task takes it back while nobody acted after it."""

    def work(unit: Advancing, task: Task) -> Completion:
        if task.status != TaskStatus.COMPLETED:
            word = "尚未办结" if task.status == TaskStatus.OPEN else "已被流程撤销"
            raise Conflict(f"任务「{task.title}」{word}，不能撤回")
        if task.completed_by != principal.username:
            raise Forbidden(f"任务「{task.title}」由 {task.completed_by} 办结，只有办结人本人可以撤回")
        reason = f"「{task.title}」由 {principal.username} 撤回" + (f"：{comment}" if comment else "")
        try:
            rewound = unit.run.withdraw(task.id, reason)
        except TaskNotReady:
            raise Conflict(f"任务「{task.title}」已不在流程的当前路径上（可能已被退回），不能撤回") from None
        except ActedOn as error:
            raise Conflict(
                f"后续步骤「{error.title}」已经办理，任务「{task.title}」不能撤回；如需修改，请联系"
                f"「{error.title}」的办理人退回"
            ) from None
        except NotReturnable as error:
            raise Conflict(error.message) from None
        audit.record(
            unit.session,
            principal.username,
            "task.withdrawn",
            unit.instance.id,
            task.id,
            title=task.title,
            comment=comment,
            cancelled=list(rewound.dropped),
        )
        return _saved(unit, rewound, principal.username)

    return advance_task(app, principal, task_id, work, doing=lambda title: f"撤回「{title}」")


def _saved(unit: Advancing, rewound: Rewound, actor: str) -> Completion:
    previous = None if rewound.multi_instance else _last_worker(unit, rewound.element_id)
    _revert_data(unit, rewound)
    open_tasks = unit.save()
    # The step reopened goes back to whoever did it (as Chinese approval systems do), unless
    # the diagram names its person.
    for row in open_tasks:
        if previous and row.name == rewound.element_id and row.assignee is None:
            row.assignee = previous
            audit.record(
                unit.session,
                actor,
                "task.assigned_back",
                unit.instance.id,
                row.id,
                title=row.title,
                to=previous,
            )
    unit.session.flush()
    return Completion(unit.instance, open_tasks)


def _revert_data(unit: Advancing, rewound: Rewound) -> None:
    """The case's data loses what the dropped steps changed: it is again what the steps still
    done wrote (the same replay the stored data was built by), so no page or dossier shows the
    results of work that was sent back."""
    before = dict(unit.instance.data or {})
    after = unit.run.data
    if after == before:
        return
    removed = sorted(before.keys() - after.keys())
    changed = sorted(key for key in after.keys() & before.keys() if after[key] != before[key])
    audit.record(
        unit.session,
        "engine",
        "data.reverted",
        unit.instance.id,
        step=rewound.title,
        element_id=rewound.element_id,
        removed=removed,
        changed={key: {"from": before[key], "to": after[key]} for key in changed},
    )
    unit.instance.data = after
    own_records.refresh(unit.session, unit.instance, before, utcnow())


def _last_worker(unit: Advancing, element_id: str) -> str | None:
    return unit.session.scalar(
        select(Task.completed_by)
        .where(
            Task.instance_id == unit.instance.id,
            Task.name == element_id,
            Task.status == TaskStatus.COMPLETED,
        )
        .order_by(Task.completed_at.desc())
        .limit(1)
    )


def _may_return(principal: Principal, task: Task) -> None:
    require_may_act_on(principal, task, "退回")
