"""One home per rule: the built-in diagrams' scripts are short calls to the named domain
functions of service/domain/ (docs/domain-api.md); what a step records and takes out of the
case's data, or may find missing, is declared on the step (xuanpin:consumes, xuanpin:optional)
instead of `del` and `try: … except NameError`."""

from __future__ import annotations

import ast
from xml.etree import ElementTree

import pytest

from service.domain.helpers import SCRIPT_FUNCTIONS
from service.engine.parser import SourceFile, parse_definitions
from service.engine.runtime import ProcessEngine
from service.engine.timers import calendar_helpers
from tests import bpmn
from tests.conftest import PROCESSES

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
MAX_LINES = 10  # statements of one script, comments not counted

CALENDAR = set(calendar_helpers(lambda d, n: (d, False), lambda: None))  # type: ignore[arg-type, return-value]
KNOWN = set(SCRIPT_FUNCTIONS) | CALENDAR | {"list", "len", "str", "dict", "any", "sorted"}


def _scripts():
    for path in sorted(PROCESSES.glob("*.bpmn")):
        for node in ElementTree.parse(path).iter(f"{BPMN}scriptTask"):
            text = node.find(f"{BPMN}script")
            yield pytest.param(path.name, node.get("id"), text.text or "", id=f"{path.stem}:{node.get('id')}")


@pytest.mark.parametrize(("diagram", "element", "source"), list(_scripts()))
def test_a_builtin_script_is_a_few_calls_of_named_functions(diagram, element, source):
    tree = ast.parse(source)
    lines = [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert len(lines) <= MAX_LINES, f"{diagram} {element}: {len(lines)} 行脚本，请把规则移入 service/domain/"
    for node in ast.walk(tree):
        assert not isinstance(node, ast.Delete), f"{diagram} {element}: 不应使用 del（用 xuanpin:consumes）"
        assert not isinstance(node, ast.Try), f"{diagram} {element}: 不应 try/except（用 xuanpin:optional）"
        assert not isinstance(node, ast.For | ast.While | ast.FunctionDef | ast.Lambda), (
            f"{diagram} {element}: 循环和函数应写在 service/domain/ 中"
        )
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id in KNOWN, f"{diagram} {element}: {node.func.id} 不是平台提供的函数"


def _run(*steps: str, data: dict | None = None):
    [process] = parse_definitions([SourceFile("t.bpmn", bpmn.linear("ceshi_biaodan", *steps))])
    run = ProcessEngine(helpers=SCRIPT_FUNCTIONS).start(1, process.spec, data or {})
    return run


def _step(code: str, **properties: str) -> str:
    props = "".join(f'<camunda:property name="xuanpin:{k}" value="{v}" />' for k, v in properties.items())
    return (
        '<bpmn:scriptTask id="{id}" name="记录" scriptFormat="python"><bpmn:extensionElements>'
        f"<camunda:properties>{props}</camunda:properties></bpmn:extensionElements>"
        f"<bpmn:script>{code}</bpmn:script></bpmn:scriptTask>"
    )


def test_consumed_values_are_read_as_biaodan_and_leave_the_data():
    run = _run(
        _step(
            'mingdan = [dict(biaodan)]\nxingming = biaodan["xingming"] + "（已登记）"',
            consumes="xingming, shenfenzheng_hao, xingbie",
        ),
        data={"xingming": "张三", "shenfenzheng_hao": "110", "qita": 1},
    )
    assert run.data["mingdan"] == [{"xingming": "张三", "shenfenzheng_hao": "110"}]  # absent xingbie left out
    # a consumed name the script binds again is its result; the others leave the data
    assert run.data["xingming"] == "张三（已登记）"
    assert "shenfenzheng_hao" not in run.data and "biaodan" not in run.data and run.data["qita"] == 1


def test_optional_values_may_be_missing_and_stay():
    run = _run(
        _step(
            'paichu = biaodan.get("paichu_renyuan", [])\nchae = biaodan.get("chae_bili", 1.5)',
            optional="paichu_renyuan, chae_bili",
        ),
        data={"chae_bili": 2},
    )
    assert run.data["paichu"] == [] and run.data["chae"] == 2 and run.data["chae_bili"] == 2


def test_a_refusal_fails_the_step():
    from service.engine.errors import ExecutionError

    with pytest.raises(ExecutionError):
        _run(_step('refuse("不在名单中")', consumes="xingming"), data={"xingming": "张三"})
