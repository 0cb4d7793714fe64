"""Camunda multi-instance tasks made deterministic across workers, and repair of cases they jammed.

SpiffWorkflow 3.2 parses a Camunda multi-instance with `data_input`/`input_item` unset and fills
them in on the *shared spec object* the first time an instance reaches the task. A worker whose
cached spec had not been through that merges each finished child by appending to the collection
instead of replacing its element, so a judges' list ends up `[sheet1, "pingwei2", …, sheet2]`
and the next script fails for good. Here the references are settled once, when a spec is parsed
or restored, and nothing writes to a spec at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.mixins import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.camunda.specs import multiinstance_task as camunda_multiinstance
from SpiffWorkflow.util.task import TaskState


def settle(process_spec: Any) -> Any:
    """Give every Camunda multi-instance of a process spec its final input references
    (idempotent). `camunda:collection` is both input and output, as Camunda reads it."""
    for task_spec in process_spec.task_specs.values():
        if not isinstance(task_spec, MultiInstanceTask):
            continue
        if task_spec.cardinality is None and task_spec.data_input is None and task_spec.data_output:
            task_spec.data_input = TaskDataReference(task_spec.data_output.bpmn_id)
        if task_spec.input_item is None and task_spec.output_item is not None:
            task_spec.input_item = TaskDataReference(task_spec.output_item.bpmn_id)
    return process_spec


def _start_without_touching_the_spec(my_task: Any) -> None:
    """Replaces SpiffWorkflow's `update_task_spec`, which rewrote the shared spec per instance
    (a loopCardinality that is not a number is refused by the sandbox when it is evaluated)."""
    if my_task.state != TaskState.WAITING:
        BpmnSpecMixin._update_hook(my_task.task_spec, my_task)
        my_task._set_state(TaskState.WAITING)


def install() -> None:
    camunda_multiinstance.update_task_spec = _start_without_touching_the_spec


@dataclass(frozen=True)
class Repair:
    """One collection put back in order: which step, which variable, how many stray entries."""

    element_id: str
    variable: str
    removed: int
    placed: int


def repair(workflow: Any) -> list[Repair]:
    """Put each finished child's result back at its own index of a multi-instance collection and
    drop the entries that were appended instead; the same correction reaches every later task
    that inherited the broken list. Returns what was changed (nothing for a healthy case)."""
    repairs = []
    for parent in workflow.get_tasks():
        spec = parent.task_spec
        if not isinstance(spec, MultiInstanceTask) or spec.data_output is None or spec.output_item is None:
            continue
        if spec.cardinality is not None:
            continue
        name = spec.data_output.bpmn_id
        broken = parent.data.get(name)
        children = [child for child in parent.children if "key_or_index" in child.internal_data]
        length = len(children) + len(parent.internal_data.get("remaining", []) or [])
        if not isinstance(broken, list) or not children or len(broken) <= length:
            continue
        fixed = list(broken[:length])
        merged = set(parent.internal_data.get("merged", []))
        placed = 0
        for child in children:
            if str(child.id) in merged and spec.output_item.bpmn_id in child.data:
                fixed[child.internal_data["key_or_index"]] = child.data[spec.output_item.bpmn_id]
                placed += 1
        snapshot = list(broken)
        for task in workflow.get_tasks():
            if task.data.get(name) == snapshot:
                task.data[name] = list(fixed) if task is not parent else fixed
        repairs.append(Repair(spec.bpmn_id or spec.name, name, len(snapshot) - length, placed))
    return repairs
