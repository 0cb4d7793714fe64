"""SpiffWorkflow serialization split in two: the spec once per version, the instance per instance."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from service.engine.multi_instance import settle


def _build_serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG)
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _build_serializer()
_REGISTRY = SERIALIZER.registry
_WORKFLOW_CONVERTER = _REGISTRY.convert_from_dict["BpmnWorkflow"].args[0].__self__


def dump_specs(
    spec: Any, subprocess_specs: dict[str, Any], settings: dict[str, dict[str, Any]] | None = None
) -> str:
    """`settings`: each process's `xuanpin:setting.*` values, by process id."""
    for process_spec in (spec, *subprocess_specs.values()):
        settle(process_spec)
    return json.dumps(
        {
            "spec": _REGISTRY.convert(spec),
            "subprocess_specs": {name: _REGISTRY.convert(s) for name, s in subprocess_specs.items()},
            "settings": settings or {},
        },
        ensure_ascii=False,
    )


def load_specs(serialized: str) -> tuple[Any, dict[str, Any]]:
    """The restored specs carry their process's settings as `xuanpin_settings` (read-only; the
    sandbox hands a copy to scripts as `shezhi`)."""
    data = json.loads(serialized)
    spec = _REGISTRY.restore(data["spec"])
    subprocess_specs = {name: _REGISTRY.restore(s) for name, s in data["subprocess_specs"].items()}
    settings = data.get("settings", {})
    for process_spec in (spec, *subprocess_specs.values()):
        settle(process_spec)  # versions deployed before the fix were stored unsettled
        process_spec.xuanpin_settings = settings.get(process_spec.name, {})
    return spec, subprocess_specs


def dump_instance(workflow: BpmnWorkflow) -> str:
    """The workflow without its specs (they live with the definition version)."""
    _REGISTRY._encoder_mode = False
    dct = _REGISTRY.convert(workflow)
    dct.pop("spec", None)
    dct.pop("subprocess_specs", None)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return json.dumps(dct, ensure_ascii=False, separators=(",", ":"))


def load_instance(serialized: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Restore an instance onto already-restored (cached, immutable) specs."""
    dct = json.loads(serialized)
    SERIALIZER.migrate(dct)
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.tasks = _WORKFLOW_CONVERTER.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    _WORKFLOW_CONVERTER.set_default_attributes(workflow, dct)
    _WORKFLOW_CONVERTER.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = _REGISTRY.restore(dct.pop("bpmn_events", []))
    return workflow
