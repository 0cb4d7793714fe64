"""Builds small Camunda-dialect BPMN documents for tests that need a variation of a diagram."""

from __future__ import annotations

from xml.sax.saxutils import escape

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'id="Definitions_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


def linear(
    pid: str, *steps: str, name: str = "测试流程", attrs: str = "", properties: dict[str, str] | None = None
) -> bytes:
    """start → steps… → end, each step a raw BPMN element with id S1, S2, …;
    `properties` become the process's camunda:properties."""
    elements = []
    if properties:
        props = "".join(
            f'<camunda:property name="{escape(k)}" value="{escape(v)}" />' for k, v in properties.items()
        )
        elements.append(
            f"<bpmn:extensionElements><camunda:properties>{props}</camunda:properties></bpmn:extensionElements>"
        )
    elements.append('<bpmn:startEvent id="StartEvent_1" name="开始" />')
    flows = []
    previous = "StartEvent_1"
    for index, step in enumerate(steps, start=1):
        elements.append(step.replace("{id}", f"S{index}"))
        flows.append(f'<bpmn:sequenceFlow id="F{index}" sourceRef="{previous}" targetRef="S{index}" />')
        previous = f"S{index}"
    elements.append('<bpmn:endEvent id="EndEvent_1" name="结束" />')
    flows.append(f'<bpmn:sequenceFlow id="Fend" sourceRef="{previous}" targetRef="EndEvent_1" />')
    body = "\n".join(elements + flows)
    return (
        HEADER.format(pid=pid)
        + f'<bpmn:process id="{pid}" name="{escape(name)}" isExecutable="true" {attrs}>\n{body}\n'
        + "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def script(code: str, name: str = "脚本") -> str:
    return (
        f'<bpmn:scriptTask id="{{id}}" name="{escape(name)}" scriptFormat="python">'
        f"<bpmn:script>{escape(code)}</bpmn:script></bpmn:scriptTask>"
    )


def user(name: str = "办理", attrs: str = "") -> str:
    return f'<bpmn:userTask id="{{id}}" name="{escape(name)}" {attrs} />'


def multi_instance(
    name: str = "评委打分", collection: str = "pingwei_list", element: str = "pingwei", parallel: bool = True
) -> str:
    """A user task run once per element of `collection`, each result replacing its element."""
    return (
        f'<bpmn:userTask id="{{id}}" name="{escape(name)}" camunda:assignee="${{{element}}}">'
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(not parallel).lower()}" '
        f'camunda:collection="{collection}" camunda:elementVariable="{element}" />'
        "</bpmn:userTask>"
    )
