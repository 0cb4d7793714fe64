"""Applying a multi-instance step's sign-off rule (service/domain/sign_off.py) in the engine.

SpiffWorkflow's own `completionCondition` is evaluated on the completing instance's data only,
so it cannot count the others' approvals; the rule is applied here instead, after an instance
completes: once the outcome is certain the instances still open are cancelled (with the reason
returned to the caller) and the step goes on with the outcome in `qianpi_jieguo`.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from service.domain.sign_off import (
    DEFAULT_APPROVAL_FIELD,
    SignOffRule,
    Tally,
    decide,
    outcome_record,
    parse_rule,
)
from service.engine.errors import ExecutionError

RULE_PROPERTY = "xuanpin:signOff"
FIELD_PROPERTY = "xuanpin:approvalField"
# The process variable the outcome is written to (docs/glossary.md).
OUTCOME_VARIABLE = "qianpi_jieguo"


def rule_of(task: Any) -> tuple[SignOffRule, str] | None:
    """The rule and approval field of the multi-instance step `task` is an instance of."""
    if not is_instance(task):
        return None
    extensions = getattr(task.task_spec, "extensions", {}) or {}
    text = extensions.get(RULE_PROPERTY)
    if not text:
        return None
    try:
        rule = parse_rule(text)
    except ValueError as error:
        raise ExecutionError(str(error), task.task_spec.bpmn_id, task.task_spec.bpmn_name) from None
    return rule, extensions.get(FIELD_PROPERTY) or DEFAULT_APPROVAL_FIELD


def check_submission(task: Any, data: dict[str, Any]) -> None:
    """An instance of a step with a rule must say yes or no: a missing answer is no vote."""
    found = rule_of(task)
    if found is None:
        return
    rule, field = found
    value = data.get(field, task.data.get(field))
    if not isinstance(value, bool):
        title = task.task_spec.bpmn_name or task.task_spec.bpmn_id
        raise ExecutionError(
            f"「{title}」按{rule.name}规则计票，提交时须填写 {field}（是否同意，true 或 false）",
            task.task_spec.bpmn_id,
            title,
        )


def after_instance_completed(task: Any) -> dict[str, str]:
    """Apply the rule once `task` (an instance) completed. Returns the instances cancelled, by
    id, with the reason; a standard completionCondition's cancellations are reported too."""
    if not is_instance(task):
        return {}
    parent = task.parent
    spec = parent.task_spec
    title = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    instances = [c for c in parent.children if c.task_spec.name == spec.task_spec]
    found = rule_of(task)
    if found is None:
        # completionCondition: SpiffWorkflow cancelled the rest itself.
        return {
            str(c.id): f"「{title}」的完成条件已满足，其余会签任务不再需要办理"
            for c in instances
            if c.state == TaskState.CANCELLED
        }
    rule, field = found
    done = [c for c in instances if c.state == TaskState.COMPLETED]
    approvals = sum(1 for c in done if c.data.get(field) is True)
    total = len(instances) + len(parent.internal_data.get("remaining", []) or [])
    if spec.cardinality is not None and "cardinality" in parent.internal_data:  # sequential by count
        total = max(total, int(parent.internal_data["cardinality"]))
    tally = Tally(approvals, len(done) - approvals, total)
    outcome = decide(rule, tally)
    if outcome is None:
        return {}
    parent.data[OUTCOME_VARIABLE] = outcome_record(rule, tally, outcome, spec.bpmn_id, title)
    # Everyone who may see the case reads the reason: the outcome and the counts stay in
    # `qianpi_jieguo`, under the case's data policy.
    reason = f"「{title}」{rule.name}结果已定，其余任务不再需要办理"
    cancelled = {}
    for child in instances:
        if not child.has_state(TaskState.FINISHED_MASK):
            child.cancel()
            cancelled[str(child.id)] = reason
    # A sequential step would otherwise open its next instance; none is left to open.
    parent.internal_data["remaining"] = []
    if "cardinality" in parent.internal_data:
        parent.internal_data["current"] = parent.internal_data["cardinality"]
    if parent.state != TaskState.READY:
        parent._set_state(TaskState.READY)
    return cancelled


def is_instance(task: Any) -> bool:
    parent = task.parent.task_spec if task.parent is not None else None
    return isinstance(parent, MultiInstanceTask) and parent.task_spec == task.task_spec.name
