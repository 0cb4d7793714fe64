"""A case's data as tables a person can read and print (the 纪实 dossier): every list of records
becomes a table, records nested in records (each judge's sheet inside the panel's list, the
objections inside a publicity) a table of their own that repeats who they belong to, and every
other value a fact. Headers are Chinese labels where the definition gives them.

Pure: no I/O. The workbook is written by service/services/dossier.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Fields that say whom a record is about, in the order they are preferred as its identification
# when its nested records are listed on their own (a judge's sheet: the judge; an objection:
# the publicity it was raised in).
IDENTIFYING = (
    "pingwei",
    "kaoguan",
    "xingming",
    "gangwei",
    "mingcheng",
    "shenfenzheng_hao",
    "gongshi_neirong",
    "gongshi_kaishi",
)
RECUSAL, RECUSAL_REASON = "huibi", "huibi_guanxi"

Path = tuple[str, ...]
Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Fact:
    header: str
    path: str
    value: Scalar


@dataclass
class Table:
    title: str
    path: str  # where in the data, e.g. "pingfen_biao.pingfen"
    headers: list[str]
    keys: list[str]  # each column's field within the record ("" for those identifying its parent)
    rows: list[list[Scalar]]
    context: int = 0  # leading columns that identify the record the rows belong to
    # Each column's variable in the case's data ("pingfen_biao.pingfen.xingming"), "" if none.
    variables: list[str] = field(default_factory=list)


@dataclass
class CaseTables:
    facts: list[Fact] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def is_attachment(value: Any) -> bool:
    return isinstance(value, Mapping) and "filename" in value and "file_id" in value


def is_records(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and not is_attachment(item) for item in value)
    )


def cell(value: Any) -> Scalar:
    """A value that is not a record, as one cell: lists joined with 、, attachments by name."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if is_attachment(value):
        return str(value["filename"])
    if isinstance(value, list):
        if not value:
            return "无"
        return "、".join(str(cell(item)) for item in value)
    if isinstance(value, Mapping):
        return "；".join(f"{key}：{cell(item)}" for key, item in value.items())
    return str(value)


def case_tables(data: Mapping[str, Any], labels: Mapping[str, str]) -> CaseTables:
    result = CaseTables()
    for key, value in data.items():
        _place(result, (key,), value, labels)
    return result


def header(path: Path, labels: Mapping[str, str], parent: str | None = None) -> str:
    """A field's label, each part read where it sits ("jiating_chengyuan.xingming" before
    "xingming"); `parent`: the list or record the path starts in."""
    names = []
    for index, part in enumerate(path):
        outer = path[index - 1] if index else parent
        names.append(
            labels.get(f"{outer}.{part}") or labels.get(part, part) if outer else labels.get(part, part)
        )
    return "·".join(names)


def _place(result: CaseTables, path: Path, value: Any, labels: Mapping[str, str]) -> None:
    if is_records(value):
        entries: list[tuple[list[Scalar], Mapping[str, Any]]] = [([], row) for row in value]
        result.tables.extend(_tables(header(path[-1:], labels), path, entries, [], labels))
    elif isinstance(value, Mapping) and value and not is_attachment(value):
        if all(is_records(item) or item == [] for item in value.values()):
            # Records grouped under a name (the ranking per post): one table, the name first.
            entries = [([group], row) for group, rows in value.items() for row in rows]
            if entries:
                result.tables.extend(
                    _tables(header(path[-1:], labels), path, entries, [("分组", "")], labels)
                )
            return
        for key, item in value.items():
            _place(result, (*path, key), item, labels)
    else:
        result.facts.append(Fact(header(path, labels), ".".join(path), cell(value)))


def _flatten(row: Mapping[str, Any], prefix: Path = ()) -> tuple[dict[Path, Scalar], dict[Path, list[Any]]]:
    cells: dict[Path, Scalar] = {}
    nested: dict[Path, list[Any]] = {}
    for key, value in row.items():
        path = (*prefix, str(key))
        if is_records(value):
            nested[path] = list(value)
            cells[path] = f"{len(value)} 条"
        elif isinstance(value, Mapping) and value and not is_attachment(value):
            inner_cells, inner_nested = _flatten(value, path)
            cells.update(inner_cells)
            nested.update(inner_nested)
        else:
            cells[path] = cell(value)
    return cells, nested


def _tables(
    title: str,
    source: Path,
    entries: list[tuple[list[Scalar], Mapping[str, Any]]],
    context: list[tuple[str, str]],
    labels: Mapping[str, str],
) -> list[Table]:
    """The table of `entries` ((context values, record)) and, after it, those of their nested
    records, each row of those led by the identification of the record it came from. `context`:
    (header, variable) of the columns leading every row."""
    flat = [(leading, *_flatten(row)) for leading, row in entries]
    order: dict[Path, None] = {}
    for _leading, cells, _nested in flat:
        order.update(dict.fromkeys(cells))
    identifying = [(name,) for name in IDENTIFYING if (name,) in order][:2]
    if not identifying and order:
        identifying = [next(iter(order))]
    columns = identifying + [path for path in order if path not in identifying]
    table = Table(
        title=title,
        path=".".join(source),
        headers=[
            *(name for name, _variable in context),
            *(header(path, labels, source[-1]) for path in columns),
        ],
        keys=[""] * len(context) + [".".join(path) for path in columns],
        rows=[[*leading, *(cells.get(path) for path in columns)] for leading, cells, _nested in flat],
        context=len(context),
        variables=[
            *(variable for _name, variable in context),
            *(".".join((*source, *path)) for path in columns),
        ],
    )
    children: dict[Path, list[tuple[list[Scalar], Mapping[str, Any]]]] = {}
    for leading, cells, nested in flat:
        mine = [*leading, *(cells.get(path) for path in identifying)]
        for path, rows in nested.items():
            children.setdefault(path, []).extend((mine, row) for row in rows)
    child_context = [
        *context,
        *((header(path, labels, source[-1]), ".".join((*source, *path))) for path in identifying),
    ]
    tables = [table]
    # A list that only pairs one name with nested records (a judge and their sheet) says it all
    # in the nested table, which then takes the list's title.
    own = [path for path in columns if path not in children]
    alone = bool(children) and len(own) <= 1 and all(path in identifying for path in own)
    if alone:
        tables = []
    for path, rows in children.items():
        child_title = title if alone and len(children) == 1 else f"{title}·{header(path, labels, source[-1])}"
        tables.extend(_tables(child_title, (*source, *path), rows, child_context, labels))
    return tables


def recusals(tables: list[Table], labels: Mapping[str, str]) -> Table | None:
    """X-02: every declared conflict (回避) in the case's tables, with who declared it about whom."""
    rows: list[list[Scalar]] = []
    for table in tables:
        keys = table.keys
        if RECUSAL not in keys:
            continue
        flag = keys.index(RECUSAL)
        reason = keys.index(RECUSAL_REASON) if RECUSAL_REASON in keys else None
        own = keys[table.context :]
        about = next((keys.index(name) for name in ("xingming", "shenfenzheng_hao") if name in own), None)
        for row in table.rows:
            if row[flag] is True:
                rows.append(
                    [
                        table.title,
                        "、".join(str(value) for value in row[: table.context] if value is not None),
                        row[about] if about is not None else None,
                        row[reason] if reason is not None else None,
                    ]
                )
    if not rows:
        return None
    return Table(
        title="回避情况",
        path="",
        headers=["记录", "回避人", "回避对象", labels.get(RECUSAL_REASON, "回避关系")],
        keys=["", "", "", RECUSAL_REASON],
        rows=rows,
        variables=["", "", "", ""],
    )
