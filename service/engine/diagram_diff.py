"""What changed between two versions of a diagram, said the way a process designer reads it:
elements added, removed or changed (name, roles, form, deadline, script, condition, timer,
settings), and form fields added, removed or changed. Read from the BPMN files, not the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from service.engine.xml import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

ATTRIBUTE_NAMES = {
    "name": "名称",
    f"{{{CAMUNDA}}}candidateGroups": "候选角色",
    f"{{{CAMUNDA}}}candidateUsers": "候选人",
    f"{{{CAMUNDA}}}assignee": "办理人",
    f"{{{CAMUNDA}}}formKey": "表单",
    f"{{{CAMUNDA}}}dueDate": "期限",
    f"{{{CAMUNDA}}}decisionRef": "决策表",
    f"{{{CAMUNDA}}}candidateStarterGroups": "可发起的角色",
    f"{{{CAMUNDA}}}candidateStarterUsers": "可发起的人",
    f"{{{CAMUNDA}}}collection": "多实例集合",
    f"{{{CAMUNDA}}}elementVariable": "多实例元素变量",
    "sourceRef": "起点",
    "targetRef": "终点",
    "attachedToRef": "附着于",
    "cancelActivity": "是否中断",
    "calledElement": "调用的流程",
    "default": "默认路径",
    "isExecutable": "可执行",
}
CONTENT_NAMES = {
    "script": "脚本",
    "conditionExpression": "条件",
    "documentation": "办理说明",
    "timeDate": "定时器",
    "timeDuration": "定时器",
    "timeCycle": "定时器",
    "loopCardinality": "多实例数量",
    "completionCondition": "多实例完成条件",
    "flowNodeRef": "泳道成员",
}
KIND_NAMES = {
    "process": "流程",
    "userTask": "用户任务",
    "scriptTask": "脚本任务",
    "businessRuleTask": "决策任务",
    "serviceTask": "服务任务",
    "callActivity": "调用活动",
    "subProcess": "子流程",
    "startEvent": "开始事件",
    "endEvent": "结束事件",
    "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件",
    "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关",
    "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关",
    "sequenceFlow": "连线",
    "lane": "泳道",
}


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: str
    name: str
    change: str  # added | removed | changed
    details: tuple[str, ...] = ()


@dataclass
class _Element:
    kind: str
    name: str
    attributes: dict[str, str]
    contents: dict[str, list[str]]
    properties: dict[str, str] = field(default_factory=dict)


def _elements(xml: bytes | str) -> dict[str, _Element]:
    root = parse_xml(xml.encode("utf-8") if isinstance(xml, str) else xml)
    found: dict[str, _Element] = {}
    for process in root.iter(f"{{{BPMN}}}process"):
        for element in process.iter():
            if not isinstance(element.tag, str) or not element.get("id"):
                continue
            kind = etree.QName(element).localname
            if kind in ("laneSet", "extensionElements", "multiInstanceLoopCharacteristics"):
                continue
            contents: dict[str, list[str]] = {}
            properties: dict[str, str] = {}
            for child in element.iter():
                if child is element or not isinstance(child.tag, str):
                    continue
                if child.get("id") and etree.QName(child).localname in KIND_NAMES:
                    continue  # a nested element of its own (a subprocess's tasks)
                local = etree.QName(child).localname
                if local == "property" and child.getparent() is not None:
                    properties[child.get("name", "")] = child.get("value", "")
                elif local in CONTENT_NAMES:
                    contents.setdefault(local, []).append((child.text or "").strip())
                for name in ("collection", "elementVariable"):
                    value = child.get(f"{{{CAMUNDA}}}{name}")
                    if value is not None:
                        contents.setdefault(name, []).append(value)
            found[element.get("id")] = _Element(
                kind=kind,
                name=(element.get("name") or "").strip(),
                attributes={k: v for k, v in element.attrib.items() if k != "id"},
                contents=contents,
                properties=properties,
            )
    return found


def diff_diagrams(old: bytes | str, new: bytes | str) -> list[ElementChange]:
    before, after = _elements(old), _elements(new)
    changes = []
    for element_id in sorted(set(before) | set(after)):
        was, now = before.get(element_id), after.get(element_id)
        if was is None:
            assert now is not None
            changes.append(ElementChange(element_id, _kind(now.kind), now.name, "added"))
        elif now is None:
            changes.append(ElementChange(element_id, _kind(was.kind), was.name, "removed"))
        else:
            details = _details(was, now)
            if details:
                changes.append(
                    ElementChange(element_id, _kind(now.kind), now.name or was.name, "changed", details)
                )
    return changes


def _kind(kind: str) -> str:
    return KIND_NAMES.get(kind, kind)


def _details(was: _Element, now: _Element) -> tuple[str, ...]:
    details = []
    if was.kind != now.kind:
        details.append(f"类型：{_kind(was.kind)} → {_kind(now.kind)}")
    for attribute in sorted(set(was.attributes) | set(now.attributes)):
        old, new = was.attributes.get(attribute), now.attributes.get(attribute)
        if old != new:
            label = ATTRIBUTE_NAMES.get(attribute, etree.QName(attribute).localname)
            details.append(f"{label}：{old or '（无）'} → {new or '（无）'}")
    for part in sorted(set(was.contents) | set(now.contents)):
        if was.contents.get(part) != now.contents.get(part):
            label = CONTENT_NAMES.get(part) or ATTRIBUTE_NAMES.get(f"{{{CAMUNDA}}}{part}", part)
            details.append(f"{label}已修改")
    for name in sorted(set(was.properties) | set(now.properties)):
        old, new = was.properties.get(name), now.properties.get(name)
        if old != new:
            details.append(f"扩展属性 {name}：{_shown(old)} → {_shown(new)}")
    return tuple(dict.fromkeys(details))


def _shown(value: str | None) -> str:
    return "（无）" if value is None else value


@dataclass(frozen=True)
class FormChange:
    form_key: str
    change: str  # added | removed | changed
    details: tuple[str, ...] = ()


def diff_forms(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[FormChange]:
    changes = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            changes.append(FormChange(key, "added"))
        elif key not in new:
            changes.append(FormChange(key, "removed"))
        elif old[key] != new[key]:
            changes.append(FormChange(key, "changed", _field_details(old[key], new[key])))
    return changes


def _field_details(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    before, after = old.get("properties", {}) or {}, new.get("properties", {}) or {}
    details = []
    for name in sorted(set(before) | set(after)):
        title = (after.get(name) or before.get(name) or {}).get("title") or name
        if name not in before:
            details.append(f"新增字段「{title}」（{name}）")
        elif name not in after:
            details.append(f"删除字段「{title}」（{name}）")
        elif before[name] != after[name]:
            details.append(f"字段「{title}」（{name}）的定义已修改")
    required_before, required_after = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(required_after - required_before):
        details.append(f"「{name}」改为必填")
    for name in sorted(required_before - required_after):
        details.append(f"「{name}」改为选填")
    rest = {k: v for k, v in old.items() if k not in ("properties", "required")}
    if rest != {k: v for k, v in new.items() if k not in ("properties", "required")}:
        details.append("表单的其他设置已修改")
    return tuple(details)
