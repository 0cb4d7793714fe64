"""Which process variables each diagram writes, and at which steps — read from the files, not
by running them. The glossary (docs/glossary.md) must name every one (a test checks it), and
`xuanpin docs` keeps its "写入步骤" column current.

Written are: a script task's results (names bound at its top level, see sandbox.script_effects),
the fields of a user task's or start event's form, a decision table's outputs, and a
multi-instance's collection and element variable. Start data and messages are not visible here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from service.engine.sandbox import script_effects
from service.engine.xml import parse_xml
from service.forms import declared_fields

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
DMN_OUTPUT = "//*[local-name()='decision']"
_NS = {"bpmn": BPMN}


@dataclass
class ProcessVariables:
    key: str
    name: str
    # variable -> the names of the steps that write it
    written: dict[str, set[str]] = field(default_factory=dict)
    # variable -> (title, description) from the form field that writes it, for a first draft
    form_labels: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, variable: str, step: str) -> None:
        self.written.setdefault(variable, set()).add(step)


def decision_outputs(dmn_files: Mapping[str, bytes]) -> dict[str, list[str]]:
    """decision id -> its output names."""
    outputs = {}
    for content in dmn_files.values():
        for decision in parse_xml(content).xpath(DMN_OUTPUT):
            outputs[decision.get("id")] = [
                o.get("name") for o in decision.xpath(".//*[local-name()='output']") if o.get("name")
            ]
    return outputs


def decision_labels(dmn_files: Mapping[str, bytes]) -> dict[str, tuple[str, str]]:
    """output name -> (its label, the decision's name) for a glossary's first draft."""
    labels = {}
    for content in dmn_files.values():
        for decision in parse_xml(content).xpath(DMN_OUTPUT):
            for output in decision.xpath(".//*[local-name()='output']"):
                if output.get("name") and output.get("label"):
                    labels[output.get("name")] = (
                        output.get("label"),
                        f"决策表「{decision.get('name')}」的输出",
                    )
    return labels


def written_variables(
    bpmn_files: Mapping[str, bytes],
    forms: Mapping[str, Mapping[str, Any]],
    dmn_files: Mapping[str, bytes] | None = None,
) -> list[ProcessVariables]:
    """One entry per executable process, in file order."""
    outputs = decision_outputs(dmn_files or {})
    processes = []
    for content in bpmn_files.values():
        root = parse_xml(content)
        for process in root.xpath("//bpmn:process[@isExecutable='true']", namespaces=_NS):
            found = ProcessVariables(process.get("id"), process.get("name") or process.get("id"))
            for element in process.iter():
                if not isinstance(element.tag, str):
                    continue
                _collect(element, found, forms, outputs)
            processes.append(found)
    return processes


def _step(element: etree._Element) -> str:
    return (element.get("name") or element.get("id") or "").strip()


def _collect(
    element: etree._Element,
    found: ProcessVariables,
    forms: Mapping[str, Mapping[str, Any]],
    outputs: Mapping[str, list[str]],
) -> None:
    tag = etree.QName(element).localname
    step = _step(element)
    if tag == "scriptTask":
        script = element.find(f"{{{BPMN}}}script")
        if script is not None and script.text:
            for name in script_effects(html.unescape(script.text)).results:
                found.add(name, step)
    if tag in ("userTask", "startEvent"):
        form_key = element.get(f"{{{CAMUNDA}}}formKey")
        if form_key and form_key in forms:
            properties = forms[form_key].get("properties", {})
            for name in declared_fields(forms[form_key]):
                found.add(name, step)
                sub = properties.get(name)
                if isinstance(sub, Mapping) and sub.get("title"):
                    description = " ".join(str(sub.get("description", "")).split())
                    found.form_labels.setdefault(name, (str(sub["title"]), description))
    if tag == "businessRuleTask":
        for name in outputs.get(element.get(f"{{{CAMUNDA}}}decisionRef") or "", []):
            found.add(name, step)
    if tag == "multiInstanceLoopCharacteristics":
        parent = element.getparent()
        for attribute in ("collection", "elementVariable"):
            name = element.get(f"{{{CAMUNDA}}}{attribute}")
            if name and name.isidentifier():
                found.add(name, _step(parent))
