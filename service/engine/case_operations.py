"""Case operations on a loaded run: cancel it, move its token from one element to another (an
administrator's repair of a jammed case) and move it to another version of its diagram.

Services call these with the `WorkflowRun` they got from `advance`; SpiffWorkflow stays here.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from service.engine.errors import ExecutionError
from service.engine.runtime import ProcessEngine, SpecSource, WorkflowRun
from service.engine.serializer import SERIALIZER, dump_instance, load_instance
from service.engine.xml import UnsafeXmlError, parse_xml

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class OperationRefused(ExecutionError):
    """The operation cannot be carried out on this case as it stands (an element that does not
    exist or is not active); nothing was changed."""


def process_properties(content: str | bytes, process_id: str) -> dict[str, str]:
    """The camunda:properties of a process in a stored diagram ({} when it cannot be read)."""
    try:
        root = parse_xml(content.encode("utf-8") if isinstance(content, str) else content)
    except (etree.XMLSyntaxError, UnsafeXmlError):
        return {}
    namespaces = {"bpmn": _BPMN, "camunda": _CAMUNDA}
    for node in root.xpath("//bpmn:process[@id=$id]", namespaces=namespaces, id=process_id):
        return {
            prop.get("name", ""): prop.get("value", "")
            for prop in node.xpath(
                "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=namespaces
            )
        }
    return {}


def cancel(run: WorkflowRun) -> None:
    """End the case where it stands: every unfinished step and waiting event is cancelled."""
    run.workflow.cancel()


# --- move ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    from_title: str
    to_title: str
    cancelled: int  # engine tasks cancelled at the source element


def _title(spec: Any) -> str:
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def _element_specs(workflow: Any) -> dict[str, Any]:
    """bpmn_id -> its spec, over the top process and its subprocesses (the first one found)."""
    found: dict[str, Any] = {}
    for process in (workflow.spec, *workflow.subprocess_specs.values()):
        for spec in process.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            if element and (element not in found or isinstance(spec, MultiInstanceTask)):
                found[element] = spec
    return found


def move(run: WorkflowRun, from_element: str, to_element: str) -> Moved:
    """Cancel the activity at `from_element` and start `to_element` in its place, in the same
    (sub)process; then run the engine's steps until people are needed. Raises OperationRefused."""
    workflow = run.workflow
    specs = _element_specs(workflow)
    for element, label in ((from_element, "起点"), (to_element, "目标")):
        if element not in specs:
            raise OperationRefused(f"{label}元素 {element} 不在本实例的流程图中，请核对元素编号（BPMN id）")
    active = [
        task
        for task in workflow.get_tasks(state=_ACTIVE)
        if getattr(task.task_spec, "bpmn_id", None) == from_element
        # A multi-instance's own children go with it.
        and getattr(task.parent.task_spec, "bpmn_id", None) != from_element
    ]
    if not active:
        raise OperationRefused(
            f"元素「{_title(specs[from_element])}」（{from_element}）当前没有进行中的活动，"
            "只能从进行中的步骤移走；请查看实例图中正在进行的步骤"
        )
    task = active[0]
    # Looked up in the source's own (sub)process: element ids repeat across processes.
    own = [
        spec
        for spec in task.workflow.spec.task_specs.values()
        if getattr(spec, "bpmn_id", None) == to_element
    ]
    # A multi-instance and the step it repeats share the element id: start the multi-instance.
    target_spec = next((spec for spec in own if isinstance(spec, MultiInstanceTask)), own[0] if own else None)
    if target_spec is None:
        raise OperationRefused(
            f"目标元素 {to_element} 与起点 {from_element} 不在同一个（子）流程中，不能直接移动"
        )
    data = deepcopy(task.data)
    # A task with boundary events is one branch of their split: cancel the whole split.
    anchor = task.parent if isinstance(task.parent.task_spec, BoundaryEventSplit) else task
    parent = anchor.parent
    cancelled = sum(1 for _ in anchor)
    for sibling in [anchor] if anchor is task else list(anchor.children):
        sibling.cancel()
    try:
        started = parent._add_child(target_spec, TaskState.FUTURE)
        started.data = data
        target_spec._predict(started, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
        # As if the flow had arrived: a multi-instance creates its instances, an event waits.
        target_spec._update(started)
        if isinstance(target_spec, Join) and not started.has_state(TaskState.READY):
            started._ready()  # a repair does not wait for a join's other inputs
    except WorkflowException as error:
        raise OperationRefused(f"无法在元素 {to_element} 开始：{error}") from None
    run.advance()
    return Moved(_title(task.task_spec), _title(target_spec), cancelled)


# --- migrate to another version --------------------------------------------------------------


@dataclass
class MigrationPlan:
    """What moving one case to another version changes, or why it cannot move."""

    changes: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.blockers


def _described_change(old: Any, new: Any) -> str:
    parts = []
    if _title(old) != _title(new):
        parts.append(f"名称「{_title(old)}」改为「{_title(new)}」")
    if getattr(old, "lane", None) != getattr(new, "lane", None):
        parts.append(f"泳道「{old.lane or '无'}」改为「{new.lane or '无'}」")
    old_ext, new_ext = getattr(old, "extensions", {}) or {}, getattr(new, "extensions", {}) or {}
    for key in sorted(set(old_ext) | set(new_ext)):
        if key != "properties" and old_ext.get(key) != new_ext.get(key):
            parts.append(f"{key.split(':')[-1]} 由 {old_ext.get(key)!r} 改为 {new_ext.get(key)!r}")
    return f"进行中的步骤「{_title(old)}」：" + ("；".join(parts) if parts else "定义有变化")


def migrate(
    engine: ProcessEngine, run: WorkflowRun, version_id: int, spec_source: SpecSource
) -> MigrationPlan:
    """Align the run's steps with the version's (SpiffWorkflow's diff: same element ids), report
    the active steps that change and what prevents the move (an active or completed step that
    the new version no longer has, a subprocess it lacks). When it can move, the run is moved in
    memory (the caller saves it or not): its steps take the new definitions and what was
    predicted ahead is predicted anew; waiting timers keep their due times."""
    workflow = run.workflow
    new_spec, new_dependencies = engine._specs_for(version_id, spec_source)
    plan = MigrationPlan()
    top, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, new_spec, new_dependencies)
    diffs = [(workflow, top)]
    for sp_id, sp_diff in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        if sp_diff is None:
            plan.blockers.append(f"子流程 {sub.spec.name} 在新版本中不存在")
        else:
            diffs.append((sub, sp_diff))
    for _wf, diff in diffs:
        for task in diff.removed:
            if task.has_state(TaskState.PREDICTED_MASK):
                continue  # predicted anew below
            where = "进行中" if task.has_state(_ACTIVE) else "已办理"
            plan.blockers.append(
                f"{where}的步骤「{_title(task.task_spec)}」（{task.task_spec.bpmn_id}）在新版本中已删除"
            )
        for task in diff.changed:
            if task.has_state(_ACTIVE) and diff.alignment.get(task) is not None:
                plan.changes.append(_described_change(task.task_spec, diff.alignment[task]))
    if not plan.possible:
        return plan
    for wf, diff in diffs:
        wf.spec = new_spec if wf is workflow else new_dependencies[wf.spec.name]
        for task in list(wf.tasks.values()):
            aligned = diff.alignment.get(task)
            if aligned is not None:
                task.task_spec = aligned
        for task in list(wf.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True)):
            if task.id not in wf.tasks:
                continue
            # Only predictions hang below a ready or waiting step: predict them from the new version.
            task._drop_children(force=True)
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
    workflow.subprocess_specs = dict(new_dependencies)
    # What cannot be stored or restored with the new version is refused, not saved.
    try:
        load_instance(dump_instance(workflow), new_spec, new_dependencies)
    except Exception as error:  # any failure means the case cannot move as it stands
        plan.blockers.append(f"迁移后的实例无法按新版本恢复：{error}")
    return plan
