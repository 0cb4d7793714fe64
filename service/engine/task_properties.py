"""The camunda:properties of one userTask, read from the stored BPMN (no column for them)."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS

from service.engine.xml import UnsafeXmlError, parse_xml

_NAMESPACES = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": CAMUNDA_MODEL_NS}


def user_task_properties(contents: Iterable[str | bytes], element_id: str) -> dict[str, str]:
    """Properties of the userTask `element_id` in the first of the documents that has it
    (a called process's task lives in its own file). A document that cannot be read has none."""
    for content in contents:
        try:
            root = parse_xml(content.encode("utf-8") if isinstance(content, str) else content)
        except (etree.XMLSyntaxError, UnsafeXmlError):
            continue
        for node in root.xpath("//bpmn:userTask[@id=$id]", namespaces=_NAMESPACES, id=element_id):
            return {
                prop.get("name", ""): prop.get("value", "")
                for prop in node.xpath(
                    "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=_NAMESPACES
                )
            }
    return {}
