"""Going back in an instance: 退回 (return to an earlier user task) and 撤回 (withdraw one's own step).

Both rest on SpiffWorkflow's `reset_from_task_id`, which drops every descendant of a task in
the tree and makes it runnable again. Its pitfalls, handled here:

- the reset task keeps its engine id, but the inbox already has a (completed) row with that id
  and a timer row may carry it: every task the reset brought back is given a fresh id;
- a multi-instance step is reset at its parent, never at one instance, so all instances are
  created again from the collection; its data is then what the step was given (the collection
  it filled would be refused as a non-empty output);
- the path already taken is the chain of ancestors in the task tree: a step in a sibling branch
  of a parallel gateway is not on it, and resetting to a step before the split drops every
  branch under it, so returning out of a branch cancels its siblings;
- a boundary timer of the reset step is reset with it (the engine resets all branches of the
  boundary split), so its deadline and reminders start again.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

from service.engine.errors import TaskNotReady

_FINISHED = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR


@dataclass(frozen=True)
class ReturnTarget:
    """An earlier user task on the path the current task was reached by."""

    element_id: str
    title: str
    # Engine ids of the completed user tasks of that step (one, or each instance of a
    # multi-instance step): the inbox rows say who completed them.
    step_ids: tuple[str, ...]
    completed_at: datetime | None
    multi_instance: bool


@dataclass(frozen=True)
class Rewound:
    """What a return or withdrawal did: the step opened again and the user tasks it dropped."""

    element_id: str
    title: str
    dropped: tuple[str, ...]  # engine ids of the open user tasks removed from the tree
    multi_instance: bool = False


class ActedOn(Exception):
    """A later step was already worked on: the completed step can no longer be withdrawn."""

    def __init__(self, element_id: str, title: str) -> None:
        super().__init__(title)
        self.element_id = element_id
        self.title = title


class NotReturnable(Exception):
    """The step cannot be gone back to from here (not on the path, or of a kind not supported)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def return_targets(workflow: BpmnWorkflow, task_id: str) -> list[ReturnTarget]:
    """Earlier user tasks on the path taken to the open task `task_id`, nearest first, one per
    element (a step done twice, through a loop or an earlier return, is offered once: its
    latest run)."""
    task = _find(workflow, task_id)
    own = _element(task)
    seen: set[str] = set()
    targets = []
    for ancestor in _path(workflow, task):
        target = _as_target(ancestor)
        if target is None or target.element_id in seen or target.element_id == own:
            continue
        seen.add(target.element_id)
        targets.append(target)
    return targets


def return_to(workflow: BpmnWorkflow, task_id: str, element_id: str) -> Rewound:
    """Send the open task `task_id` back to the earlier step `element_id` on its path."""
    task = _find(workflow, task_id)
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady(task_id)
    for step in _path(workflow, task):
        target = _as_target(step)
        if target is not None and target.element_id == element_id and element_id != _element(task):
            join = _join_after(workflow, task, step)
            return _reset(workflow, step, then=join)
    raise NotReturnable(f"步骤 {element_id} 不在本任务已走过的路径上，不能退回到该步骤")


def withdraw(workflow: BpmnWorkflow, task_id: str) -> Rewound:
    """Open the completed user task `task_id` again, while nothing after it has been worked on."""
    task = _find(workflow, task_id)
    if task.state != TaskState.COMPLETED or not task.task_spec.manual:
        raise TaskNotReady(task_id)
    if _within_instance(task):
        raise NotReturnable("会签/票签中的单份意见不能单独撤回，请由当前办理人退回到该步骤")
    for later in _descendants(workflow, task):
        if later is not task and later.task_spec.manual and later.state == TaskState.COMPLETED:
            raise ActedOn(_element(later), _title(later))
    return _reset(workflow, task)


def _join_after(workflow: BpmnWorkflow, task: Any, step: Any) -> Any:
    """For a step in a branch that was cancelled at a join on the task's path, that join (the
    earliest such): it must wait again for the branch."""
    if any(a is step for a in _ancestors(workflow, task)):
        return None
    for ancestor in reversed(_ancestors(workflow, task)):
        for branch in _joined_branches(workflow, ancestor):
            if branch is step or any(a is step for a in _ancestors(workflow, branch)):
                return ancestor
    return None


def _reset(workflow: BpmnWorkflow, task: Any, then: Any = None) -> Rewound:
    """Reset `task`; `then`, a join the task's branch met, is reset after it (so it waits for the
    branch instead of finding its cancelled instance there and firing again)."""
    before = {t.id: t.state for t in _all_tasks(workflow)}
    dropped = tuple(
        str(t.id)
        for top in (task, then)
        if top is not None
        for t in _descendants(workflow, top)
        if t is not top and t.task_spec.manual and t.state == TaskState.READY
    )
    # A plain step opens with what it had when it was submitted (the person's earlier answers);
    # a multi-instance step starts from what it was given, so its collection is read again.
    data = None if isinstance(task.task_spec, MultiInstanceTask) else deepcopy(task.data)
    element, title = _element(task), _title(task)
    workflow.reset_from_task_id(task.id, data)
    if then is not None:
        workflow.reset_from_task_id(then.id)
    _fresh_ids(workflow, before)
    return Rewound(element, title, dropped, data is None)


def _fresh_ids(workflow: BpmnWorkflow, before: dict[UUID, int]) -> None:
    """Tasks that were finished and run again get new ids: the old ids name inbox and timer
    rows of the earlier run."""
    for task in _all_tasks(workflow):
        was = before.get(task.id)
        if was is None or not (was & _FINISHED) or task.has_state(_FINISHED):
            continue
        if task.id in workflow.subprocesses:  # keyed by the calling task's id; never a user task
            continue
        # Children and parents refer to each other by id.
        owner, old, new = task.workflow, task.id, uuid4()
        parent, children = task.parent, task.children
        task.id = new
        # In place: the serializer stores a task's data as a delta on its parent's, so a parent
        # must stay before its children.
        owner.tasks = {(new if key == old else key): value for key, value in owner.tasks.items()}
        if parent is not None:
            parent._children = [new if child == old else child for child in parent._children]
        for child in children:
            child._parent = new
    # Waiting events are kept by id too (a reset boundary timer is waiting again already). The
    # reset drops the later part of the tree but leaves its waiting events registered (a 督办
    # timer of a dropped step); refreshing timers would then reach a task without a parent.
    manager = workflow.event_manager
    manager.tasks = {
        task.id: task for task in manager.tasks.values() if task.workflow.tasks.get(task.id) is task
    }


def _path(workflow: BpmnWorkflow, task: Any) -> list[Any]:
    """The steps the task was reached by, latest first: its ancestors (out of subprocesses into
    the calling process) and, past a join of parallel branches, the branches that arrived there
    before the one that went on (SpiffWorkflow continues from one branch's join instance and
    cancels the others, so those branches are not ancestors)."""
    found: dict[UUID, Any] = {}
    for ancestor in _ancestors(workflow, task):
        found.setdefault(ancestor.id, ancestor)
        for branch in _joined_branches(workflow, ancestor):
            for step in [branch, *_ancestors(workflow, branch)]:
                found.setdefault(step.id, step)
    return sorted(found.values(), key=lambda t: t.last_state_change, reverse=True)


def _ancestors(workflow: BpmnWorkflow, task: Any) -> list[Any]:
    path = []
    current = task
    while current is not None:
        parent = current.parent
        if parent is None and current.workflow.parent_task_id is not None:
            parent = workflow.get_task_from_id(current.workflow.parent_task_id)
        if parent is not None:
            path.append(parent)
        current = parent
    return path


def _joined_branches(workflow: BpmnWorkflow, join: Any) -> list[Any]:
    """The other instances of a join that fired as `join`, in the same round: they met it at
    the join (cancelled there), and no earlier firing of the join lies between them and it."""
    if not isinstance(join.task_spec, UnstructuredJoin) or join.state != TaskState.COMPLETED:
        return []
    mine = set(id(t) for t in _ancestors(workflow, join))
    others = []
    for other in join.workflow.get_tasks(spec_name=join.task_spec.name):
        if other is join or other.state != TaskState.CANCELLED or id(other) in mine:
            continue
        between = []
        for step in _ancestors(workflow, join):
            if any(step is t for t in _ancestors(workflow, other)):
                break  # the common ancestor: the split
            between.append(step)
        if not any(step.task_spec is join.task_spec for step in between):
            others.append(other)
    return others


def _descendants(workflow: BpmnWorkflow, task: Any) -> list[Any]:
    """The task and everything under it, subprocesses it called included."""
    found = []
    stack = [task]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
        sub = workflow.subprocesses.get(current.id)
        if sub is not None:
            stack.append(sub.task_tree)
    return found


def _as_target(task: Any) -> ReturnTarget | None:
    spec = task.task_spec
    if task.state != TaskState.COMPLETED:
        return None
    if isinstance(spec, MultiInstanceTask):
        instances = [c for c in task.children if c.task_spec.name == spec.task_spec]
        if not instances or not instances[0].task_spec.manual:
            return None
        done = [c for c in instances if c.state == TaskState.COMPLETED]
        return ReturnTarget(_element(task), _title(task), tuple(str(c.id) for c in done), _when(task), True)
    if not spec.manual:
        return None
    return ReturnTarget(_element(task), _title(task), (str(task.id),), _when(task), False)


def _is_instance(task: Any) -> bool:
    parent = task.parent.task_spec if task.parent is not None else None
    return isinstance(parent, MultiInstanceTask) and parent.task_spec == task.task_spec.name


def _within_instance(task: Any) -> bool:
    """Whether the task is one instance of a multi-instance step, or inside a subprocess that
    is (a judge's sheet in the 面试评分 subprocess): resetting it alone would leave the step's
    collection without its element."""
    current = task
    while current is not None:
        if _is_instance(current):
            return True
        calling = getattr(current.workflow, "parent_task_id", None)
        current = current.workflow.top_workflow.get_task_from_id(calling) if calling else None
    return False


def _find(workflow: BpmnWorkflow, task_id: str) -> Any:
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError):
        task = None
    if task is None:
        raise TaskNotReady(task_id)
    return task


def _all_tasks(workflow: BpmnWorkflow) -> list[Any]:
    tasks = list(workflow.tasks.values())
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.tasks.values())
    return tasks


def _element(task: Any) -> str:
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None) or spec.name


def _title(task: Any) -> str:
    spec = task.task_spec
    if isinstance(spec, MultiInstanceTask):  # the name is on the repeated step
        spec = task.workflow.spec.task_specs.get(spec.task_spec, spec)
    return getattr(spec, "bpmn_name", None) or _element(task)


def _when(task: Any) -> datetime | None:
    return datetime.fromtimestamp(task.last_state_change, UTC) if task.last_state_change else None
