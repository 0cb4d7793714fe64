"""Parsing a year's holiday schedule from CSV (`date,type,note`), reporting every bad line."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.services.errors import Invalid

MIN_YEAR, MAX_YEAR = 1900, 2200
NOTE_MAX = 200

# What people write in the type column: the API words and the usual Chinese ones.
TYPE_WORDS = {
    "holiday": "holiday",
    "休": "holiday",
    "节假日": "holiday",
    "workday": "workday",
    "班": "workday",
    "调休上班": "workday",
}
HEADER_WORDS = {
    "date": "date",
    "日期": "date",
    "type": "type",
    "类型": "type",
    "note": "note",
    "备注": "note",
}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SHOWN_ERRORS = 5


@dataclass(frozen=True)
class CsvDay:
    line: int
    day: date
    kind: str
    note: str


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM); Excel on Chinese Windows saves GB18030, so accept that too."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError:
            raise Invalid("CSV 文件编码无法识别，请另存为 UTF-8", errors={"file": ["编码无法识别"]}) from None


def parse_date(text: str) -> date | None:
    match = _DATE.match(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse(text: str, year: int | None = None) -> list[CsvDay]:
    """Every line is checked before anything is returned; any bad line raises Invalid listing all."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        return _parse_rows(rows, year)
    except csv.Error:  # a stray carriage return, a NUL byte: not a CSV file at all
        raise Invalid(
            f"CSV 第 {rows.line_num} 行无法读取（含有不成对的引号、换行或空字符），"
            "请用 Excel 或文本编辑器另存为 UTF-8 CSV 后重新导入",
            errors={f"line {rows.line_num}": ["不是有效的 CSV 行"]},
        ) from None


def _parse_rows(rows: Any, year: int | None) -> list[CsvDay]:
    errors: dict[str, list[str]] = {}
    columns: dict[str, int] | None = None
    days: list[CsvDay] = []
    seen: dict[date, int] = {}
    for cells in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = _header(cells)
            if "date" not in columns or "type" not in columns:
                raise Invalid(
                    "CSV 第 1 行应为表头 date,type,note（日期,类型,备注）",
                    errors={f"line {line}": ["缺少表头 date,type,note"]},
                )
            continue
        entry, problems = _row(cells, columns, line, year, seen)
        if problems:
            errors[f"line {line}"] = problems
        elif entry is not None:
            seen[entry.day] = line
            days.append(entry)
    if errors:
        parts = [f"第 {key.removeprefix('line ')} 行：{'，'.join(msgs)}" for key, msgs in errors.items()]
        shown = "；".join(parts[:_SHOWN_ERRORS]) + ("……" if len(parts) > _SHOWN_ERRORS else "")
        raise Invalid(f"CSV 有 {len(errors)} 行有误，未导入任何日期：{shown}", errors=errors)
    if not days:
        raise Invalid("CSV 中没有日期行", errors={"file": ["没有数据行"]})
    return days


def _header(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = HEADER_WORDS.get(cell.strip().lower())
        if name is not None and name not in columns:
            columns[name] = index
    return columns


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _row(
    cells: list[str], columns: dict[str, int], line: int, year: int | None, seen: dict[date, int]
) -> tuple[CsvDay | None, list[str]]:
    problems: list[str] = []
    raw_date = _cell(cells, columns, "date")
    day = parse_date(raw_date)
    if day is None:
        problems.append(f"日期“{raw_date}”无效，应为 YYYY-MM-DD")
    elif not MIN_YEAR <= day.year <= MAX_YEAR:
        problems.append(f"日期 {day} 超出 {MIN_YEAR}–{MAX_YEAR} 年")
    elif year is not None and day.year != year:
        problems.append(f"日期 {day} 不属于 {year} 年")
    elif day in seen:
        problems.append(f"日期 {day} 与第 {seen[day]} 行重复")
    raw_type = _cell(cells, columns, "type")
    kind = TYPE_WORDS.get(raw_type.lower())
    if kind is None:
        problems.append(f"类型“{raw_type}”无效，应为 holiday/休/节假日 或 workday/班/调休上班")
    note = _cell(cells, columns, "note")
    if len(note) > NOTE_MAX:
        problems.append(f"备注超过 {NOTE_MAX} 个字")
    if problems or day is None or kind is None:
        return None, problems
    return CsvDay(line=line, day=day, kind=kind, note=note), []
