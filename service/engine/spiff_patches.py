"""Adjustments to SpiffWorkflow 3.2 behaviour, kept in one place and applied on import."""

from __future__ import annotations

from types import SimpleNamespace

from SpiffWorkflow import task as _task_module
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

from service.engine import multi_instance
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
multi_instance.install()


class _RehearsalDatetime(_timer.datetime):  # type: ignore[misc,name-defined]
    """The engine's timers follow the rehearsal clock too, so a server under test agrees with it."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def,override]
        now = utcnow()
        return now.astimezone(tz) if tz is not None else now.astimezone(SHANGHAI).replace(tzinfo=None)


if REHEARSAL_CLOCK_FILE:
    _timer.datetime = _RehearsalDatetime
    # Steps are ordered by when they changed state; a step the test fired in its own process and
    # one the server ran must be stamped on the same clock.
    _task_module.time = SimpleNamespace(time=lambda: utcnow().timestamp())
