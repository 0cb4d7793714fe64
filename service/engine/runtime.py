"""Running one instance: start, load, complete a user task, advance, read its state.

Services hold a `WorkflowRun` as an opaque handle and never touch SpiffWorkflow.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from service.domain.plain_data import ENGINE, find_problem
from service.domain.refusal import Refusal
from service.engine import messages as message_events
from service.engine import multi_instance, rewind, sign_off
from service.engine.errors import ExecutionError, RuleRefused, TaskNotReady
from service.engine.parser import VARIABLE, normalise_timer_expression, split_list
from service.engine.sandbox import (
    CONSUMED_NAME,
    SETTINGS_NAME,
    SandboxedScriptEngine,
    SandboxError,
    ScriptLimits,
    element_name,
)
from service.engine.serializer import dump_instance, load_instance, load_specs
from service.engine.timers import Deadline, TimerView, forget_timer_value, parse_due, waiting_timers

# The serialized spec of a definition version, or a function that reads it: a cached version
# then never needs its (large) spec text fetched from the database.
SpecSource = str | Callable[[], str]

# In serialized state: a lone surrogate, or a NaN / Infinity token (a string containing the word
# only costs a closer look).
_SUSPECT = re.compile('[\ud800-\udfff]|(?<![\\w"])-?(?:NaN|Infinity)(?![\\w"])')


@dataclass(frozen=True)
class UserTaskView:
    """What the inbox needs to know about a READY user task."""

    id: str
    name: str
    title: str
    lane: str | None
    form_key: str | None
    documentation: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    assignee: str | None
    due_at: datetime | None = None
    due_provisional: bool = False
    due_period_start: date | None = None


@dataclass(frozen=True)
class CompletedStep:
    id: str
    name: str
    title: str
    kind: str
    completed_at: datetime | None


@dataclass(frozen=True)
class StepChange:
    """What one completed step changed in the case's data (the audit trail's data diff)."""

    step_id: str
    element_id: str
    title: str
    kind: str
    manual: bool  # a person's step (user task) rather than the engine's
    added: dict[str, Any]
    # key -> {"from": old, "to": new}; a list that only grew -> {"appended": [new items]}
    changed: dict[str, dict[str, Any]]
    removed: list[str]


@dataclass(frozen=True)
class ElementState:
    completed: int = 0
    active: bool = False
    error: bool = False


@dataclass
class WorkflowRun:
    workflow: BpmnWorkflow
    engine: ProcessEngine
    # Steps already completed when this run was loaded; their changes are in the stored case data.
    completed_before: frozenset[UUID] = frozenset()
    # User tasks this run cancelled for a reason people are told (a return, a decided
    # sign-off), by engine id; the inbox records it when it cancels their rows.
    cancel_reasons: dict[str, str] = field(default_factory=dict)

    @property
    def completed(self) -> bool:
        return self.workflow.completed

    @property
    def data(self) -> dict[str, Any]:
        """The case's data: what every completed step changed, in the order they completed."""
        return self.case_data({}, since_load=False)

    def case_data(self, previous: Mapping[str, Any], since_load: bool = True) -> dict[str, Any]:
        """`previous` with the changes of each step completed since the run was loaded. A step
        contributes only what it changed against the data it was given, so a branch finishing
        late (a 督办 after the main path moved on) never writes back its stale copy of the rest."""
        view = dict(previous)
        for _task, updates, deletions in self._step_deltas(since_load):
            view.update(updates)
            for key in deletions:
                view.pop(key, None)
        return _json_safe(view)

    def step_changes(self, previous: Mapping[str, Any]) -> list[StepChange]:
        """Per step completed since the run was loaded, in order, what it changed in the case's
        data starting from `previous` (the stored data): the same replay as `case_data`, with
        values compared as stored (JSON)."""
        view = _json_safe(previous)
        changes = []
        for task, updates, deletions in self._step_deltas(since_load=True):
            added: dict[str, Any] = {}
            changed: dict[str, dict[str, Any]] = {}
            removed: list[str] = []
            for key, value in _json_safe(updates).items():
                if key not in view:
                    added[key] = value
                elif view[key] != value:
                    changed[key] = _change(view[key], value)
                view[key] = value
            for key in sorted(deletions):
                if key in view:
                    removed.append(key)
                    view.pop(key)
            if added or changed or removed:
                spec = task.task_spec
                # A multi-instance's collection is named after the step it repeats.
                named = (
                    task.workflow.spec.task_specs.get(spec.task_spec)
                    if isinstance(spec, MultiInstanceTask)
                    else spec
                )
                changes.append(
                    StepChange(
                        step_id=str(task.id),
                        element_id=getattr(spec, "bpmn_id", None) or spec.name,
                        title=getattr(named, "bpmn_name", None)
                        or getattr(spec, "bpmn_id", None)
                        or spec.name,
                        kind=spec.__class__.__name__,
                        manual=bool(spec.manual),
                        added=added,
                        changed=changed,
                        removed=removed,
                    )
                )
        return changes

    def _step_deltas(self, since_load: bool) -> Iterator[tuple[Any, dict[str, Any], set[str]]]:
        """Each completed step in order, with what it set and removed against the data it was given."""
        for task in self._completed_steps(since_load):
            given = task.parent.data if task.parent is not None else {}
            updates = {k: v for k, v in task.data.items() if k not in given or given[k] != v}
            yield task, updates, set(given.keys() - task.data.keys())

    def _completed_steps(self, since_load: bool) -> list[Any]:
        steps = [
            task
            for task in self.workflow.get_tasks()
            if task.state == TaskState.COMPLETED
            # Subprocess internals reach the case through the subprocess step's own result.
            and task.workflow is self.workflow
            and not (since_load and task.id in self.completed_before)
            # A multi-instance child's results reach the case through its collection.
            and not _is_multi_instance_child(task)
        ]
        return sorted(steps, key=lambda task: task.last_state_change)

    def advance(self) -> None:
        """Run every engine-owned step (scripts, gateways, fired timers) until people are needed."""
        with _explained():
            self.workflow.refresh_timers()
            self.workflow.do_engine_steps()

    def ready_user_tasks(self) -> list[UserTaskView]:
        return [self._view(task) for task in self.workflow.get_tasks(state=TaskState.READY, manual=True)]

    def task_data(self, task_id: str) -> dict[str, Any]:
        return _json_safe(self._task(task_id).data)

    def answered_by_other_steps(self, task_id: str) -> set[str]:
        """Variables whose current value a person entered in another step: an opinion (`yijian`)
        given at one approval is not the answer of the next step that asks the same field. The
        step's own earlier answer (when it opens again after a return) is not among them."""
        task = self._task(task_id)
        last_writer: dict[str, Any] = {}
        for step, updates, _deletions in self._step_deltas(since_load=False):
            last_writer.update(dict.fromkeys(updates, step))
        return {
            key
            for key, step in last_writer.items()
            if step.task_spec.manual
            and step.task_spec.name != task.task_spec.name
            and key in task.data
            and task.data[key] == step.data.get(key)
        }

    def complete_user_task(self, task_id: str, data: Mapping[str, Any]) -> None:
        task = self._task(task_id)
        # SpiffWorkflow's run() does not check state; running a non-READY task corrupts the tree.
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        with _explained(task):
            sign_off.check_submission(task, dict(data))
        task.data.update(data)
        with _explained():
            task.run()
            self.cancel_reasons.update(sign_off.after_instance_completed(task))
        self.advance()

    def return_targets(self, task_id: str) -> list[rewind.ReturnTarget]:
        """Earlier user tasks on the path taken to the open task (退回 targets), nearest first."""
        return rewind.return_targets(self.workflow, task_id)

    def return_to(self, task_id: str, element_id: str, reason: str) -> rewind.Rewound:
        """退回: the open task goes back to the earlier step `element_id`; what was done after it
        is dropped (sibling branches and all instances of a multi-instance step included)."""
        with _explained():
            rewound = rewind.return_to(self.workflow, task_id, element_id)
        self.cancel_reasons.update(dict.fromkeys(rewound.dropped, reason))
        self.advance()
        return rewound

    def withdraw(self, task_id: str, reason: str) -> rewind.Rewound:
        """撤回: the completed task opens again, while no later step has been worked on."""
        with _explained():
            rewound = rewind.withdraw(self.workflow, task_id)
        self.cancel_reasons.update(dict.fromkeys(rewound.dropped, reason))
        self.advance()
        return rewound

    def completed_steps(self) -> list[CompletedStep]:
        # An unfiltered walk: get_tasks(state=COMPLETED) skips tasks under a waiting parent.
        steps = []
        for task in self.workflow.get_tasks():
            spec = task.task_spec
            if task.state != TaskState.COMPLETED or not getattr(spec, "bpmn_name", None):
                continue
            steps.append(
                CompletedStep(
                    id=str(task.id),
                    name=spec.bpmn_id or spec.name,
                    title=spec.bpmn_name,
                    kind=spec.__class__.__name__,
                    completed_at=datetime.fromtimestamp(task.last_state_change, UTC),
                )
            )
        steps.sort(key=lambda s: s.completed_at or datetime.min.replace(tzinfo=UTC))
        return steps

    def element_states(self) -> dict[str, ElementState]:
        """Per BPMN element that ran or waits: how often it completed and whether it is active
        or failed now (the case page highlights the diagram with it)."""
        states: dict[str, ElementState] = {}
        for task in self.workflow.get_tasks():
            element = getattr(task.task_spec, "bpmn_id", None)
            if not element:
                continue
            if task.state == TaskState.COMPLETED:
                kind = "completed"
            elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                kind = "active"
            elif task.state == TaskState.ERROR:
                kind = "error"
            else:
                continue  # predicted, cancelled
            current = states.get(element, ElementState())
            states[element] = ElementState(
                completed=current.completed + (kind == "completed"),
                active=current.active or kind == "active",
                error=current.error or kind == "error",
            )
        return states

    def repair_multi_instance(self) -> list[multi_instance.Repair]:
        """Mend collections a pre-fix worker appended to (see `multi_instance.repair`)."""
        return multi_instance.repair(self.workflow)

    def dump(self) -> str:
        """The instance state to store. A value a script left that cannot be stored (a range, a
        generator, a set, NaN, broken Unicode) is the diagram's error, reported on its step."""
        try:
            state = dump_instance(self.workflow)
        except (TypeError, ValueError) as error:
            raise self._unstorable() or ExecutionError(f"流程数据无法保存：{error}") from None
        # NaN and lone surrogates serialize, but no database column takes them: look closer.
        if _SUSPECT.search(state):
            problem = self._unstorable()
            if problem is not None:
                raise problem
        return state

    def _unstorable(self) -> ExecutionError | None:
        """The first step (in tree order, so the one that introduced it) whose data holds a value
        that cannot be stored."""
        for task in self.workflow.get_tasks():
            problem = find_problem(task.data, ENGINE)
            if problem is None:
                continue
            spec = task.task_spec
            name = spec.bpmn_name or spec.bpmn_id or spec.name
            where = f"步骤「{name}」" + (f"（{spec.bpmn_id}）" if spec.bpmn_id else "")
            return ExecutionError(
                f"{where}留下的数据项 {problem.path} {problem.message}", spec.bpmn_id, spec.bpmn_name
            )
        return None

    def _task(self, task_id: str) -> Any:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, WorkflowException):
            task = None
        if task is None:
            raise TaskNotReady(task_id)
        return task

    def _view(self, task: Any) -> UserTaskView:
        spec = task.task_spec
        extensions = getattr(spec, "extensions", {}) or {}
        form = getattr(spec, "form", None)
        groups = [self._resolve(v, task) for v in split_list(extensions.get("camunda:candidateGroups"))]
        users = [self._resolve(v, task) for v in split_list(extensions.get("camunda:candidateUsers"))]
        assignee = extensions.get("camunda:assignee")
        due_at, provisional, period_start = self._due(task, extensions.get("camunda:dueDate"))
        return UserTaskView(
            id=str(task.id),
            name=spec.bpmn_id or spec.name,
            title=spec.bpmn_name or spec.bpmn_id or spec.name,
            lane=spec.lane,
            form_key=(form.key or None) if form is not None else None,
            documentation=spec.documentation,
            candidate_groups=[g for g in groups if g],
            candidate_users=[u for u in users if u],
            assignee=self._resolve(assignee, task) if assignee else None,
            due_at=due_at,
            due_provisional=provisional,
            due_period_start=period_start,
        )

    def thrown_messages(self) -> list[tuple[str, Any]]:
        """Messages thrown that no part of this instance caught: (name, payload), oldest first.
        Taking them empties the engine's queue, so each is handed out once."""
        messages = []
        for event in self.workflow.get_events():
            payload = event.payload.get("payload") if isinstance(event.payload, dict) else event.payload
            messages.append((event.event_definition.name, _json_safe({"v": payload})["v"]))
        return messages

    def waiting_messages(self) -> list[str]:
        """Names of the outside messages the instance waits for (message correlation)."""
        return [] if self.completed else message_events.waiting_messages(self.workflow)

    def receive_message(self, name: str, data: Mapping[str, Any]) -> int:
        """Deliver an outside message to the steps waiting for it and run on; returns how many
        steps caught it (0: nothing waited, nothing changed)."""
        with _explained():
            caught = message_events.deliver(self.workflow, name, data)
        if caught:
            self.advance()
        return caught

    def waiting_timers(self) -> list[TimerView]:
        return waiting_timers(self.workflow)

    def recompute_stored_deadlines(self) -> dict[str, tuple[str, str]]:
        """Working-day deadlines a script kept in the data (a registration deadline) computed
        again on the current calendar, in every step still to run. Returns {variable: (old, new)}."""
        add_workdays = self.engine.helpers.get("add_workdays")
        moved: dict[str, tuple[str, str]] = {}
        if add_workdays is None:
            return moved
        for task in self.workflow.get_tasks():
            if task.state in (TaskState.COMPLETED, TaskState.CANCELLED):
                continue
            for key, value in list(task.data.items()):
                if not isinstance(value, Deadline) or value.workdays is None or value.period_start is None:
                    continue
                with _explained(task):
                    fresh = add_workdays(value.period_start, value.workdays)
                if str(fresh) != str(value) or fresh.provisional != value.provisional:
                    task.data[key] = fresh
                    moved[key] = (str(value), str(fresh))
        return moved

    def reevaluate_timer(self, task_id: str) -> None:
        """Evaluate a waiting timer's expression again, e.g. after the calendar changed."""
        forget_timer_value(self.workflow, task_id)
        self.advance()

    def _due(self, task: Any, expression: str | None) -> tuple[datetime | None, bool, date | None]:
        """`camunda:dueDate` is a Python expression (or a bare ISO value) over the task data."""
        if not expression:
            return None, False, None
        with _explained(task):
            value = self.workflow.script_engine.evaluate(task, normalise_timer_expression(expression))
            try:
                due = parse_due(value)
            except (ValueError, TypeError) as error:
                raise ExecutionError(
                    f"步骤「{task.task_spec.bpmn_name}」的期限 dueDate 无法识别：{value!r}（{error}）",
                    task.task_spec.bpmn_id,
                    task.task_spec.bpmn_name,
                ) from None
        return due, bool(getattr(value, "provisional", False)), getattr(value, "period_start", None)

    @staticmethod
    def _resolve(value: str, task: Any) -> str | None:
        """`${variable}` takes its value from the task data, as Camunda's expressions do."""
        match = VARIABLE.match(value)
        if not match:
            return value
        resolved = task.data.get(match.group(1))
        return str(resolved) if resolved not in (None, "") else None


class ProcessEngine:
    """Holds the sandboxed script engine and a cache of restored (immutable) specs."""

    def __init__(
        self,
        helpers: Mapping[str, Any] | None = None,
        time_limit: float | None = None,
        limits: ScriptLimits | None = None,
    ) -> None:
        self.script_engine = SandboxedScriptEngine(helpers, time_limit, limits)
        self.helpers = dict(helpers or {})
        # Names scripts see besides the data; the data may not use them.
        self.reserved_names = frozenset(helpers or {}) | {SETTINGS_NAME, CONSUMED_NAME}
        self._specs: OrderedDict[int, tuple[Any, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._cache_size = 64

    def _specs_for(self, version_id: int, spec_source: SpecSource) -> tuple[Any, dict[str, Any]]:
        with self._lock:
            cached = self._specs.get(version_id)
            if cached is not None:
                self._specs.move_to_end(version_id)
                return cached
        restored = load_specs(spec_source() if callable(spec_source) else spec_source)
        with self._lock:
            self._specs[version_id] = restored
            while len(self._specs) > self._cache_size:
                self._specs.popitem(last=False)
        return restored

    def start(self, version_id: int, spec_source: SpecSource, data: Mapping[str, Any]) -> WorkflowRun:
        spec, subprocess_specs = self._specs_for(version_id, spec_source)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        run = WorkflowRun(workflow, self)
        run.advance()
        return run

    def start_messages(self, version_id: int, spec_source: SpecSource) -> list[str]:
        """The messages that start an instance of this version (message start events)."""
        spec, _subprocess_specs = self._specs_for(version_id, spec_source)
        return message_events.start_messages(spec)

    def load(self, version_id: int, spec_source: SpecSource, state: str) -> WorkflowRun:
        spec, subprocess_specs = self._specs_for(version_id, spec_source)
        workflow = load_instance(state, spec, subprocess_specs)
        workflow.script_engine = self.script_engine
        done = frozenset(task.id for task in workflow.get_tasks() if task.state == TaskState.COMPLETED)
        return WorkflowRun(workflow, self, done)


def _is_multi_instance_child(task: Any) -> bool:
    parent = task.parent.task_spec if task.parent is not None else None
    return isinstance(parent, MultiInstanceTask) and parent.task_spec == task.task_spec.name


class _explained:
    """Turns SpiffWorkflow's exceptions into an ExecutionError that names the step."""

    def __init__(self, task: Any = None) -> None:
        self.task = task

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:  # type: ignore[no-untyped-def]
        if exc is None or isinstance(exc, ExecutionError | TaskNotReady):
            return False
        if isinstance(exc, SpiffWorkflowException | SandboxError | ValueError | TypeError):
            task = getattr(exc, "task", None) or self.task
            spec = getattr(task, "task_spec", None) if task is not None else None
            element_id = getattr(spec, "bpmn_id", None) if spec is not None else None
            name = element_name(spec) if spec is not None else None
            refusal = _refusal_in(exc)
            if refusal is not None:
                raise RuleRefused(refusal.message, refusal.field, element_id, name) from exc
            cause = getattr(exc, "exception", None) or exc
            reason = str(cause.args[0]) if getattr(cause, "args", None) else str(cause)
            original = _unwrapped(exc)
            if isinstance(original, SandboxError):  # a limit or a forbidden name: already Chinese
                reason = str(original)
            elif isinstance(cause, NameError):
                reason = f"引用了不存在的数据项（{reason}）"
            where = f"步骤「{name or element_id or '未知'}」" + (f"（{element_id}）" if element_id else "")
            raise ExecutionError(f"{where}执行失败：{reason}", element_id, name) from exc
        return False


def _refusal_in(exc: BaseException) -> Refusal | None:
    """SpiffWorkflow wraps a script's exception in its own; the original is in the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Refusal):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _unwrapped(exc: BaseException) -> BaseException:
    """The script's own exception under SpiffWorkflow's wrappers (which do not always keep it)."""
    seen: BaseException | None = exc
    while isinstance(seen, SpiffWorkflowException):
        seen = seen.__cause__ or seen.__context__
    return seen if seen is not None else exc


def _change(old: Any, new: Any) -> dict[str, Any]:
    # A list a step appended to (one more application, one more publicity) is recorded by what
    # it gained, so the trail does not repeat the whole list at every step.
    if isinstance(old, list) and isinstance(new, list) and len(new) > len(old) and new[: len(old)] == old:
        return {"appended": new[len(old) :]}
    return {"from": old, "to": new}


def _json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(data), default=str, ensure_ascii=False))
