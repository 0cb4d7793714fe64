"""Adjustments to SpiffWorkflow 3.2 behaviour, kept in one place and applied on import."""

from __future__ import annotations

from copy import deepcopy
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow import task as _task_module
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer
from SpiffWorkflow.bpmn.specs.mixins import multiinstance_task as _mi
from SpiffWorkflow.bpmn.specs.mixins import subworkflow_task as _subworkflow
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator, TaskState

from service.engine.multi_instance import install as install_multi_instance_fix
from service.timeutil import REHEARSAL_CLOCK_FILE, SHANGHAI, utcnow

# Naive timer date-times are read in the server's local zone; our designers write Beijing
# time, and the service must agree with the engine on when a timer is due.
_timer.LOCALTZ = SHANGHAI

# Task iterators stop at depth 1000 by default. Every round of a loop (退回修改) nests the
# tree about three levels deeper, so after ~330 rounds READY tasks silently vanish from
# get_tasks() and do_engine_steps(). The iterators are iterative, so a deep limit is safe.
UNLIMITED_DEPTH = 10**9


def _raise_depth_default(cls: type) -> None:
    init = cls.__init__  # type: ignore[misc]
    names = init.__code__.co_varnames[1 : init.__code__.co_argcount]
    defaults = list(init.__defaults__)
    offset = len(names) - len(defaults)
    defaults[names.index("max_depth") - offset] = UNLIMITED_DEPTH
    init.__defaults__ = tuple(defaults)


for _iterator in (TaskIterator, BpmnTaskIterator):
    _raise_depth_default(_iterator)

# Camunda multi-instances rewrote their shared spec when an instance reached them, so workers
# disagreed on how to merge a finished child (the jam of issue 8); settle once, never mutate.
install_multi_instance_fix()


class _ServiceDatetime(_timer.datetime):  # type: ignore[misc,name-defined]
    """The engine's timers follow the service's clock (a rehearsal's, or a process test case's
    simulated one), so the engine and the service agree on when a timer is due."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
        now = utcnow()
        return now.astimezone(tz) if tz is not None else now.astimezone(SHANGHAI).replace(tzinfo=None)


_timer.datetime = _ServiceDatetime
if REHEARSAL_CLOCK_FILE:
    # Steps are ordered by when they changed state; a step the test fired in its own process and
    # one the server ran must be stamped on the same clock.
    _task_module.time = SimpleNamespace(time=lambda: utcnow().timestamp())


# A timer expression must give ISO 8601 text ("PT2H", "2026-05-01T09:00:00+08:00"). SpiffWorkflow
# parses whatever came back and fails with AttributeError (an int has no .upper) or a bare
# Exception("Invalid duration"), which nothing names as the diagram's fault. Its parsers are
# checked here, and the timer's step is attached to the error.
class TimerValueError(ValueError):
    """The value a timer expression returned is not an ISO 8601 date, duration or cycle."""


_TIMER_KINDS = {
    "parse_time_or_duration": "时间或时长",
    "parse_iso_duration": '时长（如 "PT2H"、"P5D"）',
    "parse_iso_recurring_interval": '循环（如 "R3/PT1H"）',
    "get_datetime": '时间（如 "2026-05-01T09:00:00+08:00"）',
}


def _checked_parser(name: str, kind: str) -> None:
    original = getattr(_timer.TimerEventDefinition, name)

    def parse(expression: object) -> object:
        if not isinstance(expression, str):
            raise TimerValueError(
                f"定时器表达式应返回 ISO 8601 文本形式的{kind}，实际返回了 "
                f'{type(expression).__name__} 类型的值 {expression!r:.60}（整数请写成如 "PT5M" 的时长）'
            )
        try:
            return original(expression)
        except TimerValueError:
            raise
        except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration
            raise TimerValueError(
                f"定时器表达式的结果 {expression!r:.60} 不是有效的 ISO 8601 {kind}"
            ) from None

    setattr(_timer.TimerEventDefinition, name, staticmethod(parse))


for _name, _kind in _TIMER_KINDS.items():
    _checked_parser(_name, _kind)


def _naming_the_step(method):  # type: ignore[no-untyped-def]
    def checked(self, my_task):  # type: ignore[no-untyped-def]
        try:
            return method(self, my_task)
        except TimerValueError as error:
            raise WorkflowTaskException(str(error), task=my_task) from error

    return checked


for _definition, _method in (
    (_timer.TimeDateEventDefinition, "has_fired"),
    (_timer.DurationTimerEventDefinition, "has_fired"),
    (_timer.CycleTimerEventDefinition, "cycle_complete"),
):
    setattr(_definition, _method, _naming_the_step(getattr(_definition, _method)))


# A multi-instance activity creates one task per item of its collection (or per count of its
# cardinality) in one step; the script engine bounds how many (XUANPIN_MAX_INSTANCES_PER_ACTIVITY).
def _bounded_instances(update_hook: Any) -> Any:
    def _update_hook(self: Any, my_task: Any) -> Any:
        check = getattr(my_task.workflow.script_engine, "check_instances", None)
        if check is not None:
            check(my_task)
        return update_hook(self, my_task)

    return _update_hook


for _multi in (_mi.SequentialMultiInstanceTask, _mi.ParallelMultiInstanceTask):
    _multi._update_hook = _bounded_instances(_multi._update_hook)  # type: ignore[method-assign]


# An embedded subprocess hands back the data of the step that finished last. When its parallel
# branches end separately (公示期: the registration loop and each objection's investigation),
# each branch holds its own copy of a dict keyed by id (gongshi_yiyi_jilu) and the last one would
# drop what the others wrote. Dicts are therefore united, entry by entry, over every end event the
# subprocess reached; the last branch still wins where two wrote the same field.
def _union(earlier: Any, later: Any) -> Any:
    if not (isinstance(earlier, dict) and isinstance(later, dict)):
        return later
    merged = dict(earlier)
    for key, value in later.items():
        merged[key] = _union(earlier[key], value) if key in earlier else value
    return merged


def _united_branches(self: Any, my_task: Any, subworkflow: Any) -> None:
    last = subworkflow.last_task
    data = deepcopy(last.data)
    ends = sorted(
        (
            task
            for task in subworkflow.get_tasks(state=TaskState.COMPLETED)
            if task.workflow is subworkflow and isinstance(task.task_spec, EndEvent) and task is not last
        ),
        key=lambda task: task.last_state_change,
    )
    for end in ends:
        for key, value in end.data.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = _union(deepcopy(value), data[key])
    my_task.data = data


_subworkflow.SubWorkflowTask.update_data = _united_branches  # type: ignore[method-assign]
