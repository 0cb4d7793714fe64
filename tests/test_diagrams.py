"""The built-in diagrams open in a modeler: every flow element, lane and participant has its
shape and every sequence flow its edge (Camunda Modeler and bpmn.io drop what has none)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.conftest import PROCESSES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
SHAPED = [
    "task",
    "userTask",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "manualTask",
    "callActivity",
    "subProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "lane",
    "participant",
]


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_element_has_its_shape_and_every_flow_its_edge(path):
    root = etree.parse(str(path)).getroot()
    shapes = {
        shape.get("bpmnElement"): shape
        for shape in root.iterfind(".//bpmndi:BPMNShape", NS)
        if shape.find("dc:Bounds", NS) is not None
    }
    edges = {
        edge.get("bpmnElement")
        for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)
        if len(edge.findall("di:waypoint", NS)) >= 2
    }
    missing_shapes = sorted(
        element.get("id")
        for tag in SHAPED
        for element in root.iterfind(f".//bpmn:{tag}", NS)
        if element.get("id") not in shapes
    )
    missing_edges = sorted(
        flow.get("id") for flow in root.iterfind(".//bpmn:sequenceFlow", NS) if flow.get("id") not in edges
    )
    assert not missing_shapes, f"{path.name}: elements without a shape: {missing_shapes}"
    assert not missing_edges, f"{path.name}: flows without an edge: {missing_edges}"


CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


@pytest.mark.parametrize("path", sorted(PROCESSES.glob("*.bpmn")), ids=lambda p: p.name)
def test_fh07_no_built_in_diagram_limits_history_time_to_live(path):
    """FH-07: selection records are archived permanently. No built-in process declares a
    `camunda:historyTimeToLive` (a Camunda engine would delete its history after that many days);
    each declares itself permanent instead (`xuanpin:retention`), so a configured retention policy
    never purges it either."""
    root = etree.parse(str(path)).getroot()
    processes = root.findall("bpmn:process", NS)
    assert processes, path.name
    for process in processes:
        assert process.get(f"{{{CAMUNDA}}}historyTimeToLive") is None, process.get("id")
        retention = process.findall(
            "bpmn:extensionElements/camunda:properties/camunda:property[@name='xuanpin:retention']",
            {**NS, "camunda": CAMUNDA},
        )
        assert [prop.get("value") for prop in retention] == ["permanent"], process.get("id")
