"""Messages from the outside world (an OA system's "材料已补齐") caught by a waiting instance.

Camunda's correlation semantics: the message's variables join the case's data at the step that
caught it, and the whole payload is also kept under the event's `camunda:resultVariable`
(`xiaoxi` when the diagram names none). Message start events, intermediate catch events,
receive tasks and boundary events (interrupting or not) all catch the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage

# Where a caught message's whole payload is kept when the diagram gives no resultVariable.
RESULT_VARIABLE = "xiaoxi"


def waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    """Names of the messages some step of the instance waits for now, each once."""
    names: dict[str, None] = {}
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and definition.name:
            names[definition.name] = None
    return list(names)


def deliver(workflow: BpmnWorkflow, name: str, data: Mapping[str, Any]) -> int:
    """Hand the message to every step waiting for it; returns how many caught it."""
    catching = [
        task
        for task in workflow.event_manager.tasks.values()
        if isinstance(getattr(task.task_spec, "event_definition", None), MessageEventDefinition)
        and task.task_spec.event_definition.name == name
    ]
    caught = 0
    for task in catching:
        definition = task.task_spec.event_definition
        result_var = getattr(definition, "result_var", None) or RESULT_VARIABLE
        event = BpmnEvent(CamundaMessage(name), payload={"payload": dict(data), "result_var": result_var})
        if not task.task_spec.catches(task, event):
            continue
        task.task_spec.catch(task, event)
        task.task_spec._update(task)
        # After the update: becoming ready merges the parent's data over the task's own.
        task.data.update(data)
        caught += 1
    return caught


def start_messages(spec: Any) -> list[str]:
    """Names of the messages that start the process (its message start events)."""
    names = []
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, StartEvent) and isinstance(definition, MessageEventDefinition):
            names.append(definition.name)
    return names
