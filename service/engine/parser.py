"""Turns uploaded BPMN/DMN files into validated, serialized process specs."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import ReceiveTask, ScriptTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS,
    CamundaTaskParser,
    ScriptTaskParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from service.domain.declarations import Declarations, is_permanent, parse_declarations
from service.domain.sign_off import parse_rule
from service.domain.start_rights import StartRights
from service.engine.errors import DefinitionError
from service.engine.sandbox import SandboxError, compile_sandboxed
from service.engine.serializer import dump_specs
from service.engine.xml import UnsafeXmlError, parse_xml

# Camunda 7 attributes that SpiffWorkflow's Camunda parser drops; kept in task extensions.
ASSIGNMENT_ATTRIBUTES = ("candidateGroups", "candidateUsers", "assignee", "dueDate")
# `${variable}`: the value comes from the case's data, as in Camunda's expressions.
VARIABLE = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


class AssignmentUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):  # type: ignore[no-untyped-def]
        extensions = super().parse_extensions(node)
        for name in ASSIGNMENT_ATTRIBUTES:
            value = self.attribute(name, "camunda")
            if value:
                extensions[f"camunda:{name}"] = value.strip()
        return extensions


class CamundaReceiveTaskParser(CamundaEventDefinitionParser, ReceiveTaskParser):
    """A receive task waits for a message as a Camunda message event does (its payload and
    result variable), so its definition serializes like the message events'."""

    def create_task(self):  # type: ignore[no-untyped-def]
        return ReceiveTaskParser.create_task(self)


class PropertiesScriptTaskParser(ScriptTaskParser):
    """Script tasks keep their camunda:properties too (`xuanpin:consumes`, see sandbox.py);
    SpiffWorkflow's Camunda parser reads them for user tasks only."""

    parse_extensions = CamundaTaskParser.parse_extensions


class XuanpinParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (AssignmentUserTaskParser, UserTask),
        full_tag("receiveTask"): (CamundaReceiveTaskParser, ReceiveTask),
        full_tag("scriptTask"): (PropertiesScriptTaskParser, ScriptTask),
    }


class _LockedValidator(BpmnValidator):
    """XSD validation catches what the parser silently ignores (dangling references,
    misspelt elements); lxml schemas keep an error log, so one validation at a time."""

    _lock = threading.Lock()

    def validate(self, bpmn, filename=None):  # type: ignore[no-untyped-def]
        with self._lock:
            super().validate(bpmn, filename)


@lru_cache(maxsize=1)
def _validator() -> BpmnValidator:
    return _LockedValidator()


@dataclass(frozen=True)
class SourceFile:
    filename: str
    content: bytes

    @property
    def kind(self) -> str:
        lower = self.filename.lower()
        if lower.endswith(".bpmn") or lower.endswith(".bpmn20.xml"):
            return "bpmn"
        if lower.endswith(".dmn"):
            return "dmn"
        if lower.endswith(".json"):
            return "form"
        return "unknown"


@dataclass
class ParsedProcess:
    key: str
    name: str
    spec: str  # serialized spec + called subprocess specs
    bpmn_filename: str
    form_keys: set[str] = field(default_factory=set)
    starter_groups: list[str] = field(default_factory=list)
    starter_users: list[str] = field(default_factory=list)
    source_hashes: dict[str, str] = field(default_factory=dict)
    own_records: dict[str, object] | None = None  # X-03 declaration, see service/domain/own_records.py
    data_policy: dict[str, object] | None = None  # X-05, see service/domain/declarations.py
    start_rights: dict[str, list[str]] | None = None  # see service/domain/start_rights.py
    # Roles the diagram names literally for its user tasks (lane or candidateGroups), with the
    # tasks' names: observers may not be among them (X-01).
    task_roles: dict[str, list[str]] = field(default_factory=dict)


def split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Camunda Modeler users write timer values as bare ISO text; SpiffWorkflow wants a Python expression.
_ISO_LITERAL = re.compile(
    r"^(R\d*/)?(P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    r"|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)(/.*)?$"
)


def normalise_timer_expression(expression: str) -> str:
    text = expression.strip()
    if _ISO_LITERAL.match(text):
        return repr(text)
    return text


def parse_definitions(files: Iterable[SourceFile]) -> list[ParsedProcess]:
    """Validate every BPMN/DMN file and return one serialized spec per executable process."""
    parser = XuanpinParser(validator=_validator())
    trees: dict[str, etree._Element] = {}
    contents: dict[str, bytes] = {}
    for source in files:
        if source.kind not in ("bpmn", "dmn"):
            continue
        root = _parse_file(source)
        if source.kind == "bpmn":
            _check_references(root, source.filename)
            _check_loops(root, source.filename)
        trees[source.filename] = root
        contents[source.filename] = source.content
        try:
            if source.kind == "bpmn":
                parser.add_bpmn_xml(root, filename=source.filename)
            else:
                parser.add_dmn_xml(root, filename=source.filename)
        except ValidationException as error:
            raise _located(error, trees) from None
        except SpiffWorkflowException as error:
            raise DefinitionError(f"无法解析：{error}", filename=source.filename) from None
    process_ids = parser.get_process_ids()
    if not any(kind == "bpmn" for kind in (SourceFile(name, b"").kind for name in trees)):
        return []
    if not process_ids:
        raise DefinitionError('上传的 BPMN 文件中没有可执行的流程（isExecutable="true"）')
    processes = []
    for key in sorted(process_ids):
        process_parser = parser.get_process_parser(key)
        try:
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
        except ValidationException as error:
            raise _located(error, trees) from None
        except SpiffWorkflowException as error:
            raise DefinitionError(f"流程 {key} 无效：{error}", filename=process_parser.filename) from None
        all_specs = [spec, *subprocess_specs.values()]
        for process_spec in all_specs:
            _prepare_expressions(process_spec, process_parser.filename, trees)
            _check_sign_off_rules(process_spec, process_parser.filename)
        node = process_parser.node
        declarations = _declarations(node, process_parser.filename)
        # Each process keeps its own settings, also when it runs as a called subprocess.
        settings = {key: declarations.settings}
        for name in subprocess_specs:
            called = parser.get_process_parser(name)
            # An embedded subprocess has no properties of its own: it runs on its process's.
            owner = _owning_process(called.node)
            settings[name] = _declarations(owner, called.filename).settings
        files_used = {process_parser.filename} | {
            parser.get_process_parser(name).filename for name in subprocess_specs
        }
        processes.append(
            ParsedProcess(
                key=key,
                name=node.get("name") or key,
                spec=dump_specs(spec, subprocess_specs, settings),
                bpmn_filename=process_parser.filename,
                form_keys=_form_keys(all_specs),
                task_roles=_task_roles(all_specs),
                starter_groups=split_list(node.get(f"{{{CAMUNDA_MODEL_NS}}}candidateStarterGroups")),
                starter_users=split_list(node.get(f"{{{CAMUNDA_MODEL_NS}}}candidateStarterUsers")),
                source_hashes={
                    name: sha256(contents[name]) for name in files_used | _decision_files(parser, all_specs)
                },
                own_records=declarations.own_records.as_json() if declarations.own_records else None,
                data_policy=declarations.data_policy.as_json() if declarations.data_policy else None,
                start_rights=_start_rights(
                    node,
                    [parser.get_process_parser(name).node for name in subprocess_specs],
                    declarations.start_fields,
                ).as_json(),
            )
        )
    return processes


def _start_rights(
    node: etree._Element, called: list[etree._Element], start_fields: frozenset[str]
) -> StartRights:
    """The roles working in the process (its lanes, the groups its user tasks name literally)
    and the data fields that choose who receives a task, here or in what it calls."""
    namespaces = {**_BPMN, "camunda": CAMUNDA_MODEL_NS}
    # A lane holding no element gives no work: it does not count.
    lanes = node.xpath(".//bpmn:lane[bpmn:flowNodeRef]/@name", namespaces=namespaces)
    roles = {name.strip() for name in lanes}
    fields = set()
    for process in (node, *called):
        for task in process.xpath(".//bpmn:userTask", namespaces=namespaces):
            for attribute in ("candidateGroups", "candidateUsers", "assignee"):
                for item in split_list(task.get(f"{{{CAMUNDA_MODEL_NS}}}{attribute}")):
                    match = VARIABLE.match(item)
                    if match:
                        fields.add(match.group(1))
                    elif attribute == "candidateGroups" and process is node:
                        roles.add(item)
    return StartRights(frozenset(r for r in roles if r), frozenset(fields), start_fields)


def _owning_process(node: etree._Element) -> etree._Element:
    process_tag = f"{{{_BPMN['bpmn']}}}process"
    owner: etree._Element | None = node
    while owner is not None and owner.tag != process_tag:
        owner = owner.getparent()
    return owner if owner is not None else node


def _declarations(node: etree._Element, filename: str) -> Declarations:
    """The process's camunda:properties (service/domain/declarations.py)."""
    properties = {
        prop.get("name", ""): prop.get("value", "")
        for prop in node.xpath(
            "./bpmn:extensionElements/camunda:properties/camunda:property",
            namespaces={**_BPMN, "camunda": CAMUNDA_MODEL_NS},
        )
    }
    try:
        return parse_declarations(properties)
    except ValueError as error:
        raise DefinitionError(
            f"流程扩展属性无效：{error}", filename=filename, element_id=node.get("id"), line=node.sourceline
        ) from None


def _parse_file(source: SourceFile) -> etree._Element:
    try:
        return parse_xml(source.content)
    except etree.XMLSyntaxError as error:
        line = error.lineno if error.lineno else None
        raise DefinitionError(f"XML 格式错误：{error.msg}", filename=source.filename, line=line) from None
    except UnsafeXmlError as error:
        raise DefinitionError(str(error), filename=source.filename) from None


_BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
# (element, attribute) pairs that must name an element of the same document.
_REFERENCES = (
    ("sequenceFlow", "sourceRef"),
    ("sequenceFlow", "targetRef"),
    ("boundaryEvent", "attachedToRef"),
    ("exclusiveGateway", "default"),
    ("inclusiveGateway", "default"),
)


# SpiffWorkflow names internal task specs so; a BPMN element with such an id is silently cut off.
_RESERVED_IDS = {"Start", "End", "Root"}


def _check_references(root: etree._Element, filename: str) -> None:
    """SpiffWorkflow silently drops a flow whose target does not exist; refuse it instead."""
    ids = set(root.xpath("//@id"))
    for element in root.xpath("//bpmn:process//*[@id]", namespaces=_BPMN):
        if element.get("id") in _RESERVED_IDS:
            raise DefinitionError(
                f"元素 id「{element.get('id')}」是流程引擎的保留名称，"
                "请在建模器中改为其他 id（如 StartEvent_1）",
                filename=filename,
                element_id=element.get("id"),
                line=element.sourceline,
            )
    for tag, attribute in _REFERENCES:
        for element in root.xpath(f"//bpmn:{tag}[@{attribute}]", namespaces=_BPMN):
            target = element.get(attribute)
            if target not in ids:
                raise DefinitionError(
                    f"{tag} {element.get('id')} 的 {attribute} 指向不存在的元素 {target}",
                    filename=filename,
                    element_id=element.get("id"),
                    line=element.sourceline,
                )
    for ref in root.xpath("//bpmn:lane/bpmn:flowNodeRef", namespaces=_BPMN):
        if (ref.text or "").strip() not in ids:
            lane = ref.getparent()
            raise DefinitionError(
                f"泳道「{lane.get('name') or lane.get('id')}」引用了不存在的元素 {ref.text}",
                filename=filename,
                element_id=lane.get("id"),
                line=ref.sourceline,
            )


_GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


def _check_loops(root: etree._Element, filename: str) -> None:
    """SpiffWorkflow 3.2 predicts the path ahead recursively and never stops on a cycle that
    has no gateway (e.g. a task looping back to itself until a boundary timer interrupts):
    the instance would fail with a RecursionError, so such a diagram is refused here."""
    for process in root.xpath("//bpmn:process | //bpmn:subProcess", namespaces=_BPMN):
        nodes = {
            node.get("id"): etree.QName(node).localname
            for node in process.xpath("./bpmn:*[@id]", namespaces=_BPMN)
            if etree.QName(node).localname not in ("sequenceFlow", "laneSet", "dataObject")
        }
        edges: dict[str, list[str]] = {node: [] for node in nodes}
        for flow in process.xpath("./bpmn:sequenceFlow", namespaces=_BPMN):
            if flow.get("sourceRef") in edges and flow.get("targetRef") in nodes:
                edges[flow.get("sourceRef")].append(flow.get("targetRef"))
        for cycle in _cycles(edges):
            if not any(nodes[node] in _GATEWAYS for node in cycle):
                first = sorted(cycle)[0]
                element = root.xpath("//*[@id=$id]", id=first)[0]
                names = "、".join(sorted(root.xpath("//*[@id=$id]", id=n)[0].get("name") or n for n in cycle))
                raise DefinitionError(
                    f"流程中有不经过网关的循环（{names}）：引擎无法执行这种循环，"
                    "请在循环中加入排他网关判断是否继续",
                    filename=filename,
                    element_id=first,
                    line=element.sourceline,
                )


def _cycles(edges: dict[str, list[str]]) -> list[set[str]]:
    """Strongly connected components with a cycle (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    found.append(component)
    return found


def _located(error: ValidationException, trees: dict[str, etree._Element]) -> DefinitionError:
    element_id = getattr(error, "id", "") or None
    filename = getattr(error, "file_name", "") or None
    line = getattr(error, "line_number", None) or None
    if element_id:
        for name, root in trees.items():
            if filename and name != filename:
                continue
            found = root.xpath("//*[@id=$id]", id=element_id)
            if found:
                line = found[0].sourceline
                filename = name
                break
    message = str(error.args[0]) if error.args else str(error)
    return DefinitionError(f"BPMN 校验失败：{message}", filename=filename, element_id=element_id, line=line)


def _decision_files(parser: XuanpinParser, specs: list) -> set[str]:  # type: ignore[type-arg]
    """The DMN files whose decision tables the processes' business-rule tasks use."""
    table_files = {}
    for dmn_parser in parser.dmn_parsers.values():
        decision = getattr(dmn_parser, "decision", None)  # set once a task referenced it
        for table in getattr(decision, "decisionTables", None) or []:
            table_files[table.id] = dmn_parser.filename
    files = set()
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            table = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
            if table is not None and table.id in table_files:
                files.add(table_files[table.id])
    return files


def _check_sign_off_rules(process_spec: Any, filename: str) -> None:
    """`xuanpin:signOff` (service/domain/sign_off.py) belongs on a multi-instance user task and
    must be a rule the engine can apply; refused at deployment rather than at the first vote."""
    repeated = {getattr(spec, "task_spec", None) for spec in process_spec.task_specs.values()}
    for task_spec in process_spec.task_specs.values():
        rule = (getattr(task_spec, "extensions", {}) or {}).get("xuanpin:signOff")
        if not rule:
            continue
        title = task_spec.bpmn_name or task_spec.bpmn_id
        if task_spec.name not in repeated or not getattr(task_spec, "manual", False):
            raise DefinitionError(
                f"步骤「{title}」设置了签批规则 xuanpin:signOff，但它不是多实例用户任务",
                filename=filename,
                element_id=task_spec.bpmn_id,
            )
        try:
            parse_rule(rule)
        except ValueError as error:
            raise DefinitionError(
                f"步骤「{title}」的{error}", filename=filename, element_id=task_spec.bpmn_id
            ) from None


def _task_roles(specs: list) -> dict[str, list[str]]:  # type: ignore[type-arg]
    roles: dict[str, list[str]] = {}
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            extensions = getattr(task_spec, "extensions", {}) or {}
            groups = split_list(extensions.get("camunda:candidateGroups")) or [task_spec.lane or ""]
            title = task_spec.bpmn_name or task_spec.bpmn_id or task_spec.name
            for role in groups:
                if role and not role.startswith("${"):
                    roles.setdefault(role, []).append(title)
    return roles


def _form_keys(specs: list) -> set[str]:  # type: ignore[type-arg]
    keys = set()
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            form = getattr(task_spec, "form", None)
            if form is not None and form.key:
                keys.add(form.key)
    return keys


def _prepare_expressions(process_spec, filename: str, trees: dict[str, etree._Element]) -> None:  # type: ignore[no-untyped-def]
    """Compile every script and expression in the sandbox now, so a broken or hostile
    diagram is refused at deployment instead of failing in the middle of a procedure."""
    for task_spec in process_spec.task_specs.values():
        sources: list[tuple[str, str]] = []
        script = getattr(task_spec, "script", None)
        if script:
            sources.append((script, "exec"))
        for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
            expression = getattr(condition, "args", [None])[0] if condition is not None else None
            if isinstance(expression, str) and expression.strip():
                sources.append((expression, "eval"))
        for attribute in ("cardinality", "condition"):
            value = getattr(task_spec, attribute, None)
            if isinstance(value, str) and value.strip():
                sources.append((value, "eval"))
        for definition in _event_definitions(task_spec):
            if isinstance(definition, TimerEventDefinition):
                definition.expression = normalise_timer_expression(definition.expression)
            expression = getattr(definition, "expression", None)  # timers; message payloads
            if isinstance(expression, str) and expression.strip():
                sources.append((expression, "eval"))
        for source, mode in sources:
            try:
                compile_sandboxed(source if mode == "exec" else source.strip(), mode)
            except SandboxError as error:
                element_id = task_spec.bpmn_id or task_spec.name
                line = None
                for root in trees.values():
                    found = root.xpath("//*[@id=$id]", id=element_id)
                    if found:
                        line = found[0].sourceline
                        break
                name = task_spec.bpmn_name or element_id
                raise DefinitionError(
                    f"步骤「{name}」中的脚本或表达式被拒绝：{error}",
                    filename=filename,
                    element_id=element_id,
                    line=line,
                ) from None


def _event_definitions(task_spec) -> list:  # type: ignore[no-untyped-def,type-arg]
    definition = getattr(task_spec, "event_definition", None)
    if definition is None:
        return []
    nested = getattr(definition, "event_definitions", None)
    return list(nested) if nested else [definition]


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def declares_permanent(content: str | bytes, process_id: str) -> bool:
    """Whether the stored diagram declares the process's cases permanent (`xuanpin:retention`,
    FH-07). A diagram that cannot be read counts as permanent: nothing is purged on a doubt."""
    try:
        root = parse_xml(content.encode("utf-8") if isinstance(content, str) else content)
    except (etree.XMLSyntaxError, UnsafeXmlError):
        return True
    namespaces = {**_BPMN, "camunda": CAMUNDA_MODEL_NS}
    for node in root.xpath("//bpmn:process[@id=$id]", namespaces=namespaces, id=process_id):
        properties = {
            prop.get("name", ""): prop.get("value", "")
            for prop in node.xpath(
                "./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=namespaces
            )
        }
        try:
            return is_permanent(properties)
        except ValueError:
            return True
    return True
