"""The 纪实 dossier of a case (JB-18, FH-07, X-01): a cover carrying the hash of the case's last
audit event, the timeline, who did each step and what they submitted, the panel and the
declared conflicts, and a section for every list of records in the case's data (applicants and
eligibility verdicts, each judge's sheet, computed scores and ranking, draws and their seeds,
publicity periods and their objections, decisions). Chinese headers, print-ready.

The sections are computed once (`build`, a `Dossier`) and written two ways: a workbook
(`to_xlsx`, openpyxl) and a printable page (service/web/templates/dossier.html)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from service.domain.declarations import DataPolicy
from service.domain.tables import Scalar, case_tables, cell, is_attachment, is_records, recusals
from service.services import audit, audit_trail
from service.services.authorization import require
from service.services.errors import Forbidden
from service.services.labels import case_labels
from service.services.principal import Principal
from service.services.visibility import oversees, personal_data_view
from service.store.models import AuditEvent, Instance, ProcessDefinition, Task
from service.timeutil import SHANGHAI, utcnow

if TYPE_CHECKING:
    from service.container import Container

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_STATUS = {
    "running": "进行中",
    "completed": "已结束",
    "error": "出错待处理",
    "suspended": "已挂起",
    "cancelled": "已撤销",
}
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH, _MIN_WIDTH = 70, 6  # a hash (64) fits on one line
_MAX_TEXT = 32000  # Excel refuses a cell longer than 32767 characters
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class DossierFile:
    filename: str
    content: bytes
    content_type: str = CONTENT_TYPE


@dataclass(frozen=True)
class Section:
    """One part of the dossier: a sheet of the workbook, a printed section of the page."""

    title: str
    headers: list[str]
    rows: list[list[Scalar]]
    keys: list[str] | None = None  # the variable behind each column (None: not from the data)
    heading: str | None = None

    @property
    def wide(self) -> bool:
        """Printed landscape: more columns than fit an upright A4 page."""
        return len(self.headers) > 4

    def text_rows(self) -> list[list[str]]:
        """The rows as a person reads them (times in Beijing time, 是/否)."""
        return [[_text(value) for value in row] for row in self.rows]


@dataclass(frozen=True)
class Dossier:
    """The dossier computed once; written as a workbook (`to_xlsx`) or printed as a page
    (service/web/templates/dossier.html)."""

    heading: str
    name: str  # for file names: the business key or the instance id
    instance_id: str
    events: int
    last_hash: str | None
    exported_at: datetime
    sections: list[Section]

    @property
    def cover(self) -> Section:
        return self.sections[0]

    def filename(self, suffix: str) -> str:
        return f"纪实档案-{self.name}.{suffix}"


def build(app: Container, principal: Principal, instance_id: str, fmt: str = "xlsx") -> Dossier:
    """The case's dossier. Its organisers (the roles that start the process, whoever started
    this case), the observers and admins may export it; the export itself is recorded."""
    from service.services.instances import visible_instance

    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        _check_may_export(app, principal, definition, instance)
        events, broken = audit_trail.case_chain(session, instance.id)
        tasks = {t.id: t for t in session.scalars(select(Task).where(Task.instance_id == instance.id))}
        data = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)(
            dict(instance.data or {})
        )
        panels = _panel_fields(definition.forms)
        accounts = {instance.started_by, principal.username, *(e.actor for e in events)}
        accounts |= {name for field in panels for name in _usernames(data.get(field))}
        names = audit_trail.actor_names(session, accounts)
        labels = case_labels(definition.forms, definition.key)
        now = utcnow()
        derived = case_tables(data, labels)
        recused = recusals(derived.tables, labels)
        panel = _panels(panels, data, names, labels)
        sections = [
            _cover(instance, definition, events, broken, names, principal, now),
            _timeline(events, names, labels, tasks),
            _submissions(events, names, labels),
            _facts(derived.facts),
            *([panel] if panel is not None else []),
            *(
                Section(table.title, table.headers, table.rows, keys=table.variables)
                for table in [*([recused] if recused is not None else []), *derived.tables]
            ),
        ]
        heading = f"纪实档案：{definition.name} {instance.business_key or ''}".strip()
    last = events[-1].hash if events else None
    with app.db.transaction(write=True) as session:
        audit.record(
            session,
            principal.username,
            "dossier.exported",
            instance.id,
            events=len(events),
            last_hash=last,
            format=fmt,
        )
    name = re.sub(r"[\\/:*?\"<>|\s]+", "_", instance.business_key or instance.id)
    return Dossier(heading, name, instance.id, len(events), last, now, sections)


def export(app: Container, principal: Principal, instance_id: str) -> DossierFile:
    """The dossier as a workbook."""
    dossier = build(app, principal, instance_id, "xlsx")
    return DossierFile(dossier.filename("xlsx"), to_xlsx(dossier))


def may_export(app: Container, principal: Principal, instance_id: str) -> bool:
    """For pages: whether to offer the dossier (the same rule `build` enforces)."""
    from service.services.instances import visible_instance

    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        try:
            _check_may_export(app, principal, definition, instance)
        except Forbidden:
            return False
    return True


def to_xlsx(dossier: Dossier) -> bytes:
    sheets = _Sheets()
    for section in dossier.sections:
        sheets.table(section.title, section.headers, section.rows, heading=section.heading, keys=section.keys)
    return sheets.save()


def _check_may_export(
    app: Container, principal: Principal, definition: ProcessDefinition, instance: Instance
) -> None:
    policy = DataPolicy.from_json(definition.data_policy)
    organisers = set(definition.starter_groups) | (set(policy.personal_data_roles) if policy else set())
    who = "、".join(sorted(organisers)) or "发起人"
    require(
        oversees(principal, app.settings.observer_roles, instance.organisation_id)
        or instance.started_by == principal.username
        or principal.has_any_role(organisers),
        f"纪实档案只提供给组织单位（{who}）、监督角色和管理员；如需查阅请联系组织单位",
    )


def _panel_fields(forms: Mapping[str, Any]) -> dict[str, str]:
    """Top-level form fields that name accounts of a role (`x-xuanpin-role`): the panel."""
    found: dict[str, str] = {}
    for schema in forms.values():
        for name, sub in ((schema or {}).get("properties") or {}).items():
            if not isinstance(sub, Mapping):
                continue
            role = sub.get("x-xuanpin-role") or (sub.get("items") or {}).get("x-xuanpin-role")
            if role:
                found.setdefault(name, str(role))
    return found


def _usernames(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


# Sections ------------------------------------------------------------------------------------


def _beijing(value: datetime | None) -> str:
    return f"{value.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}" if value is not None else ""


def _cover(
    instance: Instance,
    definition: ProcessDefinition,
    events: list[AuditEvent],
    broken: audit_trail.BrokenLink | None,
    names: Mapping[str, str],
    principal: Principal,
    now: datetime,
) -> Section:
    last = events[-1] if events else None
    if broken is not None:
        check = f"断开：{broken.message}"
    elif events:
        check = f"完整：本实例 {len(events)} 个事件逐一重算哈希，实例链前后相接"
    else:
        check = "尚无事件"
    rows: list[list[Scalar]] = [
        ["流程", f"{definition.name}（{definition.key}，第 {instance.definition_version} 版）"],
        ["业务编号", instance.business_key or ""],
        ["流程实例编号", instance.id],
        ["状态", _STATUS.get(instance.status, instance.status)],
        ["发起人", f"{names.get(instance.started_by, instance.started_by)}（{instance.started_by}）"],
        ["发起时间", _beijing(instance.created_at)],
        ["结束时间", _beijing(instance.completed_at)],
        ["审计事件数", len(events)],
        ["最后事件哈希", last.hash if last else ""],
        ["最后事件在全局链中的位置", last.seq if last else ""],
        ["最后事件时间", _beijing(last.at) if last else ""],
        ["审计链校验", check],
        ["导出人", f"{names.get(principal.username, principal.username)}（{principal.username}）"],
        ["导出时间", _beijing(now)],
        ["核验方法", "xuanpin audit verify 或 GET /api/v1/audit/verify 重算整条审计链；哈希为 SHA-256"],
    ]
    heading = f"纪实档案：{definition.name} {instance.business_key or ''}".strip()
    return Section("封面", ["项目", "内容"], rows, heading=heading)


def _timeline(
    events: list[AuditEvent],
    names: Mapping[str, str],
    labels: Mapping[str, str],
    tasks: Mapping[str, Task],
) -> Section:
    rows: list[list[Scalar]] = [
        [
            event.seq,
            _beijing(event.at),
            audit_trail.action_label(event.action),
            names.get(event.actor, event.actor),
            audit_trail.step_title(event, tasks) or "",
            audit_trail.describe(event, names, labels, tasks),
            event.hash,
        ]
        for event in events
    ]
    return Section("时间线", ["链中位置", "时间", "操作", "操作人", "步骤", "说明", "哈希"], rows)


def _submissions(
    events: Iterable[AuditEvent], names: Mapping[str, str], labels: Mapping[str, str]
) -> Section:
    """Who did each step and what they submitted: opinions, decisions, findings."""
    rows: list[list[Scalar]] = []
    for event in events:
        if event.action != "task.completed":
            continue
        submitted = (event.detail or {}).get("data") or {}
        lines = [f"{labels.get(key, key)}：{_summary(value, labels)}" for key, value in submitted.items()]
        rows.append(
            [
                _beijing(event.at),
                (event.detail or {}).get("title", ""),
                names.get(event.actor, event.actor),
                "\n".join(lines),
            ]
        )
    return Section("办理记录", ["办结时间", "步骤", "办理人", "提交内容"], rows)


def _summary(value: Any, labels: Mapping[str, str]) -> str:
    if is_records(value):
        return f"{len(value)} 条"
    if isinstance(value, Mapping) and not is_attachment(value):
        return "；".join(f"{labels.get(key, key)}：{_summary(item, labels)}" for key, item in value.items())
    return _text(cell(value))


def _facts(facts: Iterable[Any]) -> Section:
    rows: list[list[Scalar]] = [[fact.header, fact.value, fact.path] for fact in facts]
    return Section("基本信息", ["项目", "内容", "变量"], rows)


def _panels(
    panels: Mapping[str, str],
    data: Mapping[str, Any],
    names: Mapping[str, str],
    labels: Mapping[str, str],
) -> Section | None:
    rows: list[list[Scalar]] = [
        [labels.get(field, field), role, username, names.get(username, username)]
        for field, role in panels.items()
        for username in _usernames(data.get(field))
    ]
    return Section("评审组", ["名单", "角色", "账号", "姓名"], rows) if rows else None


# The workbook -------------------------------------------------------------------------------


def _text(value: Scalar) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return ""
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        try:
            return _beijing(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return str(value)


def _shown(value: Scalar) -> Scalar:
    """What a cell holds: numbers stay numbers (but not beyond Excel's 15 digits: a seed would
    lose its last digits), everything else the text a person reads."""
    if isinstance(value, bool) or value is None:
        return _text(value)
    if isinstance(value, int) and abs(value) >= 10**15:
        return str(value)
    if isinstance(value, int | float):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", _text(value))
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "……（过长，已截断；全文见流程数据）"


def _width(value: Any) -> int:
    """Display width of the longest line: a Chinese character takes two columns."""
    text = str(value) if value is not None else ""
    return max((sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in text.split("\n")), default=0)


class _Sheets:
    def __init__(self) -> None:
        self.book = Workbook()
        self._first = True
        self._titles: set[str] = set()

    def _sheet(self, title: str) -> Worksheet:
        name = _SHEET_FORBIDDEN.sub("", title).strip("'")[:31] or "表"
        base, number = name, 2
        while name in self._titles:
            suffix = f"({number})"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        self._titles.add(name)
        if self._first:
            sheet = self.book.active
            assert sheet is not None
            sheet.title = name
            self._first = False
            return sheet
        return self.book.create_sheet(name)

    def table(
        self,
        title: str,
        headers: list[str],
        rows: list[list[Scalar]],
        heading: str | None = None,
        keys: list[str] | None = None,
    ) -> Worksheet:
        """One sheet: an optional heading line, the header row (repeated on every printed page),
        the rows; columns as wide as their content up to a limit, longer text wrapped. `keys`:
        the variable behind each column, kept as a note on its header for whoever checks it."""
        sheet = self._sheet(title)
        top = 1
        if heading:
            sheet.cell(row=1, column=1, value=_shown(heading)).font = Font(bold=True, size=14)
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(headers), 1))
            top = 2
        widths = [_width(text) for text in headers]
        for column, text in enumerate(headers, 1):
            header = sheet.cell(row=top, column=column, value=_shown(text))
            header.font = Font(bold=True)
            header.fill = _HEADER_FILL
            header.border = _BORDER
            header.alignment = Alignment(wrap_text=True, vertical="center")
            if keys and keys[column - 1]:
                header.comment = Comment(f"变量：{keys[column - 1]}", "选聘流")
        for number, row in enumerate(rows, top + 1):
            for column, value in enumerate(row, 1):
                shown = _shown(value)
                target = sheet.cell(row=number, column=column, value=shown)
                if isinstance(shown, str) and shown.startswith("="):
                    target.data_type = "s"  # text a person typed, never a formula
                target.border = _BORDER
                target.alignment = Alignment(wrap_text=True, vertical="top")
                widths[column - 1] = max(widths[column - 1], _width(shown))
        for column, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(column)].width = min(
                max(width + 2, _MIN_WIDTH), _MAX_WIDTH
            )
        sheet.freeze_panes = sheet.cell(row=top + 1, column=1)
        if rows:
            sheet.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{top + len(rows)}"
        sheet.print_title_rows = f"{top}:{top}"
        sheet.page_setup.orientation = "landscape" if len(headers) > 4 else "portrait"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        return sheet

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()
