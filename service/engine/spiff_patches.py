"""Adjustments to SpiffWorkflow 3.2 behaviour, kept in one place and applied on import."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer
from SpiffWorkflow.bpmn.specs.mixins import multiinstance_task as _mi
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

from service.timeutil import SHANGHAI

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
