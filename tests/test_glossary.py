"""docs/glossary.md names every variable the built-in diagrams write, with the steps that write
it (run `xuanpin docs` after changing a diagram, then fill in 中文名 and 含义)."""

from __future__ import annotations

from service.devdocs import (
    ENGINE_SECTION,
    ENGINE_VARIABLES,
    GLOSSARY,
    builtin_sources,
    parse_glossary,
    render_glossary,
)
from service.engine.variables import written_variables
from tests.bpmn import linear, script, user


def test_the_glossary_lists_every_variable_a_diagram_writes_and_where():
    current = GLOSSARY.read_text(encoding="utf-8")
    assert render_glossary(current) == current, (
        "docs/glossary.md 已过期：请运行 xuanpin docs 并补全中文名与含义"
    )


def test_written_variables_are_read_from_scripts_forms_decisions_and_multi_instances():
    bpmn = linear(
        "ceshi_bianliang",
        script(
            "zongfen = 0\nfor fen in fenshu:\n    linshi = fen\n    zongfen += linshi\n"
            "if zongfen > 60:\n    hege = True"
        ),
        user("登记", 'camunda:formKey="ceshi_biaodan"'),
        '<bpmn:businessRuleTask id="{id}" name="判定" camunda:decisionRef="ceshi_panding" />',
    )
    dmn = (
        b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"><decision id="ceshi_panding"'
        b' name="t"><decisionTable><output name="jieguo" label="x"/></decisionTable></decision></definitions>'
    )
    forms = {"ceshi_biaodan": {"properties": {"xingming": {"title": "姓名"}}}}
    (process,) = written_variables({"a.bpmn": bpmn}, forms, {"a.dmn": dmn})
    assert process.written == {
        "zongfen": {"脚本"},
        "hege": {"脚本"},
        "xingming": {"登记"},
        "jieguo": {"判定"},
    }
    assert process.form_labels == {"xingming": ("姓名", "")}


def test_rows_a_person_wrote_are_kept_and_steps_regenerated():
    text = (
        "## 公示 `gongshi`\n\n| 变量 | 中文名 | 含义 | 写入步骤 |\n|---|---|---|---|\n"
        "| `chuanru` | 传入 | 调用方传入 | 发起时传入 |\n"
    )
    rendered = parse_glossary(render_glossary(text))
    assert rendered["gongshi"]["chuanru"] == ("传入", "调用方传入", "发起时传入")


def test_the_rule_catalogue_in_the_repository_matches_the_product_sides():
    """docs/rules.md carries the catalogue for a clone; where the product side's original is
    beside the repository (../shared/RULES.md), every rule of it is here word for word."""
    import pathlib

    import pytest

    ours = (pathlib.Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    original = pathlib.Path(__file__).parent.parent.parent / "shared" / "RULES.md"
    if not original.exists():
        pytest.skip("../shared/RULES.md is not beside this clone")
    rules = [line for line in original.read_text(encoding="utf-8").splitlines() if line.startswith("- ")]
    assert rules and all(line in ours.splitlines() for line in rules)


def test_every_glossary_entry_has_a_chinese_label_and_meaning():
    """One home per term: a row still saying 「待补」, or with an empty 中文名 or 含义, fails."""
    placeholders = ("待补", "TODO", "TBD")
    unfinished = [
        f"{process}.{variable}"
        for process, rows in parse_glossary(GLOSSARY.read_text(encoding="utf-8")).items()
        for variable, (label, meaning, _) in rows.items()
        if not label.strip() or not meaning.strip() or any(p in label + meaning for p in placeholders)
    ]
    assert not unfinished, "docs/glossary.md 中以下变量缺少中文名或含义：" + "、".join(unfinished)


def test_a_row_no_diagram_writes_says_how_the_variable_arrives():
    """A row left behind after a diagram stopped writing the variable would name steps that no
    longer write it; rows for variables no step writes must say they arrive at the start."""
    bpmn, forms, dmn = builtin_sources()
    written = {p.key: p.written for p in written_variables(bpmn, forms, dmn)}
    written[ENGINE_SECTION[1]] = {name: {"引擎"} for name in ENGINE_VARIABLES}  # no diagram scan finds these
    stale = [
        f"{process}.{variable}（{steps}）"
        for process, rows in parse_glossary(GLOSSARY.read_text(encoding="utf-8")).items()
        for variable, (_, _, steps) in rows.items()
        if variable not in written.get(process, {}) and "传入" not in steps
    ]
    assert not stale, "docs/glossary.md 列出了流程图已不再写入的变量：" + "、".join(stale)
