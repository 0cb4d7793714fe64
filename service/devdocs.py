"""Documentation generated from the code, so it cannot drift: `xuanpin docs` rewrites it and
a test fails when a committed file is out of date."""

from __future__ import annotations

import re
from pathlib import Path

from service.config import PROJECT_ROOT
from service.domain.helpers import reference_table

DOMAIN_API = PROJECT_ROOT / "docs" / "domain-api.md"
_REGION = re.compile(r"(<!-- functions:start[^>]*-->\n).*?(<!-- functions:end -->)", re.S)


def render_domain_api(text: str) -> str:
    """The document with its function table regenerated from the docstrings."""
    if not _REGION.search(text):
        raise ValueError("docs/domain-api.md 缺少 <!-- functions:start --> … <!-- functions:end --> 标记")
    return _REGION.sub(lambda m: m.group(1) + reference_table() + m.group(2), text)


def write_generated_docs() -> list[Path]:
    """Rewrites the generated parts; returns the files that changed."""
    changed = []
    for path, render in ((DOMAIN_API, render_domain_api), (GLOSSARY, render_glossary)):
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        rendered = render(current)
        if rendered != current:
            path.write_text(rendered, encoding="utf-8")
            changed.append(path)
    return changed


GLOSSARY = PROJECT_ROOT / "docs" / "glossary.md"
PROCESSES = PROJECT_ROOT / "processes"
FORMS = PROJECT_ROOT / "forms"
TO_FILL = "（待补）"
_SECTION = re.compile(r"^## .*`([A-Za-z_][A-Za-z0-9_]*)`\s*$", re.M)
_ROW = re.compile(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \| (.*?) \| (.*?) \| (.*?) \|\s*$")
_HEADER = "| 变量 | 中文名 | 含义 | 写入步骤 |\n|---|---|---|---|\n"
GLOSSARY_INTRO = """# 流程变量词汇表

内置流程的每个流程变量：名称、中文名、含义、写入它的步骤。「写入步骤」一栏由
`xuanpin docs` 按流程图生成（脚本顶层赋值的结果、表单字段、决策表输出、多实例集合与元素变量）；
中文名与含义由人填写。流程图写入了本表未列的变量时，测试失败。发起时传入、不由任何步骤写入的变量
（写入步骤为「发起时传入」等）也列在这里。

"""


def builtin_sources() -> tuple[dict[str, bytes], dict[str, dict], dict[str, bytes]]:
    import json

    bpmn = {p.name: p.read_bytes() for p in sorted(PROCESSES.glob("*.bpmn"))}
    dmn = {p.name: p.read_bytes() for p in sorted(PROCESSES.glob("*.dmn"))}
    forms = {
        p.name.removesuffix(".schema.json"): json.loads(p.read_text("utf-8")) for p in FORMS.glob("*.json")
    }
    return bpmn, forms, dmn


# Variables the engine itself writes in any process whose diagram asks for it (no script
# assigns them, so no diagram scan finds them): variable -> (中文名, 含义, 写入步骤).
ENGINE_VARIABLES = {
    "qianpi_jieguo": (
        "签批结果",
        "设有签批规则（xuanpin:signOff：all 会签、any 或签、ratio:比例 或 count:人数 票签）的多实例步骤"
        "结果已定时写入：buzhou 步骤、guize 规则、jieguo「通过」或「不通过」、tongguo 是否通过、"
        "tongyi_shu 同意数、butongyi_shu 不同意数、weiban_shu 未办而撤销的任务数、zong_shu 任务总数、"
        "xuyao_tongyi 通过所需同意数；同意与否读各人提交的 xuanpin:approvalField（默认 tongyi）。"
        "后一个签批步骤覆盖前一个的结果。",
        "设有 xuanpin:signOff 的多实例步骤（引擎写入）",
    ),
    "xiaoxi": (
        "收到的消息",
        "接收消息的步骤（消息中间事件、接收任务、边界消息事件、消息启动事件）未设 camunda:resultVariable 时，"
        "最近一次经 POST /api/v1/messages 送达的消息的 data 整体；data 中各项同时直接写入案件数据。",
        "接收消息的步骤（引擎写入）",
    ),
}
ENGINE_SECTION = ("引擎按流程图设置写入的变量（所有流程）", "engine")


def parse_glossary(text: str) -> dict[str, dict[str, tuple[str, str, str]]]:
    """process key -> variable -> (中文名, 含义, 写入步骤)."""
    sections: dict[str, dict[str, tuple[str, str, str]]] = {}
    current: dict[str, tuple[str, str, str]] | None = None
    for line in text.splitlines():
        section = _SECTION.match(line)
        if section:
            current = sections.setdefault(section.group(1), {})
            continue
        row = _ROW.match(line)
        if row and current is not None:
            current[row.group(1)] = (row.group(2).strip(), row.group(3).strip(), row.group(4).strip())
    return sections


def render_glossary(text: str) -> str:
    """The glossary with a row for every variable the built-in diagrams write and their steps
    regenerated; labels and meanings already written are kept (new ones start from the form
    field's title and description, or TO_FILL)."""
    from service.engine.variables import decision_labels, written_variables

    bpmn, forms, dmn = builtin_sources()
    existing = parse_glossary(text)
    decided = decision_labels(dmn)
    parts = [GLOSSARY_INTRO]
    for process in sorted(written_variables(bpmn, forms, dmn), key=lambda p: p.key):
        labels = {**decided, **process.form_labels}
        rows = dict(existing.get(process.key, {}))
        for variable, steps in process.written.items():
            label, meaning, _ = rows.get(variable, (*labels.get(variable, (TO_FILL, TO_FILL)), ""))
            rows[variable] = (label or TO_FILL, meaning or TO_FILL, "、".join(sorted(steps)))
        parts.append(f"## {process.name} `{process.key}`\n\n{_HEADER}")
        for variable in sorted(rows):
            label, meaning, steps = rows[variable]
            parts.append(f"| `{variable}` | {label} | {meaning} | {steps} |\n")
        parts.append("\n")
    title, key = ENGINE_SECTION
    kept = existing.get(key, {})
    parts.append(f"## {title} `{key}`\n\n{_HEADER}")
    for variable in sorted(ENGINE_VARIABLES):
        label, meaning, steps = ENGINE_VARIABLES[variable]
        label, meaning, _ = kept.get(variable, (label, meaning, steps))
        parts.append(f"| `{variable}` | {label} | {meaning} | {steps} |\n")
    return "".join(parts).rstrip("\n") + "\n"
