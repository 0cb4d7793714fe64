"""Reading and verifying the audit trail: the chain checked link by link, a case's history in
Chinese, the observer's query. Writing it is services.audit, which every use case imports; this
module imports the use cases it reads through (instances), never the other way round."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.audit_chain import GENESIS, event_hash
from service.services.audit import HEAD_ID
from service.services.authorization import require_overseer
from service.services.errors import Invalid
from service.services.instances import visible_instance
from service.services.labels import ACTION_LABELS, case_labels
from service.services.pagination import Page
from service.services.principal import Principal
from service.services.visibility import can_see_task, oversees, personal_data_view
from service.store.models import AuditChainHead, AuditEvent, ProcessDefinition, Task, User
from service.timeutil import SHANGHAI, utcnow

if TYPE_CHECKING:
    from service.container import Container
    from service.store.db import Database


# Verifying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenLink:
    position: int  # 1-based position in the chain where the break was found
    event_id: int | None
    reason: str  # content | link | instance_link | missing | head
    message: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    last_hash: str | None
    broken: BrokenLink | None
    checked_at: datetime = field(default_factory=utcnow)


def _stored_hash(row: AuditEvent) -> str:
    return event_hash(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        instance_id=row.instance_id,
        task_id=row.task_id,
        detail=row.detail if row.detail is not None else {},
        prev_hash=row.prev_hash,
        instance_prev_hash=row.instance_prev_hash,
    )


def _first_break(rows: Iterable[AuditEvent], global_chain: bool) -> tuple[int, str | None, BrokenLink | None]:
    """Walks events in chain order: (events seen, last hash, first break or None). On the global
    chain positions and links to the previous event are checked; on a case's chain only the
    case's own links (its events are a subsequence of the global chain)."""
    count, previous = 0, GENESIS
    last_of_case: dict[str, str] = {}
    for row in rows:
        count += 1
        if global_chain and row.seq != count:
            return (
                count,
                previous,
                BrokenLink(
                    count,
                    row.id,
                    "missing",
                    f"第 {count} 个位置上是序号为 {row.seq} 的事件（编号 {row.id}）：在它之前有事件被删除，"
                    "或序号被改动",
                ),
            )
        if _stored_hash(row) != row.hash:
            return (
                count,
                previous,
                BrokenLink(
                    count,
                    row.id,
                    "content",
                    f"第 {count} 个事件（编号 {row.id}，{action_label(row.action)}）的内容与其哈希不符："
                    "记录被改动",
                ),
            )
        if global_chain and row.prev_hash != previous:
            return (
                count,
                previous,
                BrokenLink(
                    count,
                    row.id,
                    "link",
                    f"第 {count} 个事件（编号 {row.id}）记录的前一事件哈希与实际的前一事件不符："
                    "前一事件被改动、删除，或此处插入了事件",
                ),
            )
        if row.instance_id is not None:
            expected = last_of_case.get(row.instance_id, GENESIS)
            if row.instance_prev_hash != expected:
                return (
                    count,
                    previous,
                    BrokenLink(
                        count,
                        row.id,
                        "instance_link",
                        f"第 {count} 个事件（编号 {row.id}）与本流程实例的前一事件链接断开："
                        "该实例的某个事件被改动或删除",
                    ),
                )
            last_of_case[row.instance_id] = row.hash
        previous = row.hash
    return count, (previous if count else None), None


def verify_chain(db: Database) -> ChainReport:
    """Recompute the whole chain; report the first broken link (`xuanpin audit verify`)."""
    with db.transaction() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000))
        count, last_hash, broken = _first_break(rows, global_chain=True)
        if broken is None:
            head = session.execute(
                select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == HEAD_ID)
            ).one_or_none()
            head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
            if head_seq != count or head_hash != (last_hash or GENESIS):
                broken = BrokenLink(
                    count + 1,
                    None,
                    "head",
                    f"链头记录最后一个事件是第 {head_seq} 个，实际链上有 {count} 个事件且最后的哈希不符："
                    "末尾的事件被删除，或链头被改动",
                )
    return ChainReport(broken is None, count, last_hash, broken)


def verify(app: Container, principal: Principal) -> ChainReport:
    _require_overseer(app, principal)
    return verify_chain(app.db)


def case_chain(session: Session, instance_id: str) -> tuple[list[AuditEvent], BrokenLink | None]:
    """The case's events in order and the first break of its own chain (for the dossier)."""
    rows = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)
        )
    )
    _count, _last, broken = _first_break(rows, global_chain=False)
    return rows, broken


# Reading -----------------------------------------------------------------------------------


# Actors that are the service itself, not a person.
ACTOR_NAMES = {"engine": "流程引擎", "scheduler": "定时调度", "system": "系统", "cli": "运维命令"}

# Events whose details anyone who may see the case may read; a task's submission only those who
# may see that task (a judge not another judge's sheet), data changes only overseers.
_OPEN_DETAILS = {
    "instance.started",
    "instance.completed",
    "instance.retried",
    "instance.cancelled",
    "instance.suspended",
    "instance.resumed",
    "instance.moved",
    "instance.migrated",
    "task.opened",
    "task.claimed",
    "task.unclaimed",
    "timer.scheduled",
    "timer.fired",
    "timer.failed",
    "message.thrown",
    "deadlines.recomputed",
    "deadlines.recompute_failed",
    "work.interrupted",
    "dossier.exported",
    "task.returned",
    "task.withdrawn",
    "task.cancelled",
    "task.assigned_back",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """username -> display name; the service's own actors by their Chinese names."""
    wanted = set(actors)
    names = {
        username: display or username
        for username, display in session.execute(
            select(User.username, User.display_name).where(User.username.in_(wanted))
        )
    }
    for actor in wanted - names.keys():
        if actor in ACTOR_NAMES:
            names[actor] = ACTOR_NAMES[actor]
        elif actor.startswith("cli:"):
            names[actor] = f"运维命令（{actor.removeprefix('cli:')}）"
        elif actor.startswith("operator:"):
            names[actor] = f"运维人员（{actor.removeprefix('operator:')}）"
        else:
            names[actor] = actor
    return names


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    event_id: int
    at: datetime
    action: str
    action_label: str
    actor: str
    actor_name: str
    step: str | None
    summary: str
    task_id: str | None
    detail: dict[str, Any] | None  # None: not for this reader
    hash: str


def history(app: Container, principal: Principal, instance_id: str) -> list[HistoryEntry]:
    """The case's timeline: everyone who may see the case, and the observers, read it."""
    with app.db.transaction() as session:
        instance = visible_instance(app, session, principal, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None
        rows = list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq)
            )
        )
        overseer = oversees(principal, app.settings.observer_roles, instance.organisation_id)
        tasks = {
            task.id: task for task in session.scalars(select(Task).where(Task.instance_id == instance.id))
        }
        names = actor_names(session, (row.actor for row in rows))
        shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)
        labels = case_labels(definition.forms, definition.key)

        def readable(row: AuditEvent) -> bool:
            if overseer or row.action in _OPEN_DETAILS:
                return True
            task = tasks.get(row.task_id or "")
            return (
                row.action == "task.completed"
                and task is not None
                and can_see_task(principal, task, app.settings.observer_roles)
            )

        return [
            HistoryEntry(
                seq=row.seq,
                event_id=row.id,
                at=row.at,
                action=row.action,
                action_label=action_label(row.action),
                actor=row.actor,
                actor_name=names.get(row.actor, row.actor),
                step=step_title(row, tasks),
                summary=describe(row, names, labels, tasks),
                task_id=row.task_id,
                detail=shown(dict(row.detail or {})) if readable(row) else None,
                hash=row.hash,
            )
            for row in rows
        ]


def step_title(row: AuditEvent, tasks: Mapping[str, Task]) -> str | None:
    detail = row.detail or {}
    title = detail.get("title") or detail.get("step")
    if title:
        return str(title)
    task = tasks.get(row.task_id or "")
    return task.title if task is not None else None


def _names(keys: Iterable[str], labels: Mapping[str, str]) -> str:
    return "、".join(labels.get(key, key) for key in keys)


def _beijing(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return str(value)
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def describe(
    row: AuditEvent, names: Mapping[str, str], labels: Mapping[str, str], tasks: Mapping[str, Task]
) -> str:
    """One Chinese sentence saying what happened (no personal data: it is read by everyone who
    may see the case)."""
    detail = row.detail or {}
    who = names.get(row.actor, row.actor)
    step = step_title(row, tasks) or ""
    action = row.action
    if action == "instance.started":
        key = f"（业务编号 {detail['business_key']}）" if detail.get("business_key") else ""
        return f"{who}发起流程 {detail.get('definition', '')} 第 {detail.get('version', '')} 版{key}"
    if action == "instance.completed":
        return "流程结束"
    if action == "task.opened":
        role = f"，由{detail['role']}办理" if detail.get("role") else ""
        due = f"，期限 {_beijing(detail['due_at'])}" if detail.get("due_at") else ""
        return f"「{step}」进入待办{role}{due}"
    if action == "task.claimed":
        return f"{who}认领「{step}」"
    if action == "task.unclaimed":
        return f"{who}退回对「{step}」的认领"
    if action == "task.completed":
        fields = _names(sorted((detail.get("data") or {}).keys()), labels)
        return f"{who}办结「{step}」" + (f"，填写了{fields}" if fields else "")
    if action == "data.changed":
        parts = []
        for word, keys in (
            ("新增", sorted(detail.get("added") or {})),
            ("修改", sorted(detail.get("changed") or {})),
            ("删除", list(detail.get("removed") or [])),
        ):
            if keys:
                parts.append(f"{word}{_names(keys, labels)}")
        return f"步骤「{step}」" + "；".join(parts)
    if action == "timer.scheduled":
        return f"定时器「{step}」设定于 {_beijing(detail.get('due_at', ''))} 到期"
    if action == "timer.fired":
        return f"定时器「{step}」到期触发"
    if action == "timer.failed":
        return f"定时器「{step}」执行出错：{detail.get('error', '')}"
    if action == "message.thrown":
        return f"发出消息「{detail.get('name', '')}」"
    if action == "deadlines.recomputed":
        moved = [
            f"「{item.get('title', '')}」{_beijing(item.get('from', ''))} → {_beijing(item.get('to', ''))}"
            for item in [*(detail.get("timers") or []), *(detail.get("tasks") or [])]
        ]
        dates = "、".join(detail.get("calendar_dates") or [])
        cause = f"工作日历调整（{dates}）后" if dates else "工作日历调整后"
        return cause + ("期限改为：" + "；".join(moved) if moved else "重算期限，期限未变")
    if action == "instance.retried":
        return f"{who}在排除原因后重试出错的实例"
    if action in ("instance.cancelled", "instance.suspended", "instance.resumed"):
        why = f"，原因：{detail['reason']}" if detail.get("reason") else ""
        return f"{who}{action_label(action)}{why}"
    if action == "instance.moved":
        return (
            f"{who}将办理位置从「{detail.get('from_title', '')}」移到「{detail.get('to_title', '')}」，"
            f"原因：{detail.get('reason', '')}"
        )
    if action == "instance.migrated":
        return f"{who}将实例从第 {detail.get('from_version')} 版迁移到第 {detail.get('to_version')} 版"
    if action == "dossier.exported":
        return f"{who}导出纪实档案"
    if action == "data.reverted":
        keys = [*(detail.get("removed") or []), *sorted(detail.get("changed") or {})]
        return f"退回/撤回到「{detail.get('step', '')}」后，撤销其后步骤对{_names(keys, labels)}的变更"
    if action in ("task.returned", "task.withdrawn", "task.cancelled", "task.assigned_back"):
        return _describe_going_back(action, who, step, detail, names)
    if detail.get("summary"):  # written by the service for everyone who may see the case
        return str(detail["summary"])
    return f"{who}：{action_label(action)}"


def _describe_going_back(
    action: str, who: str, step: str, detail: Mapping[str, Any], names: Mapping[str, str]
) -> str:
    """退回, 撤回 and what they (or a decided sign-off) cancelled, with the reason given."""
    comment = f"，意见：{detail['comment']}" if detail.get("comment") else ""
    if action == "task.returned":
        return f"{who}将「{step}」退回到「{detail.get('target_title', '')}」{comment}"
    if action == "task.withdrawn":
        return f"{who}撤回已办结的「{step}」{comment}"
    if action == "task.assigned_back":
        to = detail.get("to", "")
        return f"「{step}」交回原办理人 {names.get(to, to)}"
    return f"「{step}」已撤销：{detail.get('reason', '')}"


@dataclass(frozen=True)
class EventView:
    """A stored event as overseers read it: every field, the hashes, and names for people."""

    id: int
    seq: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    action_label: str
    instance_id: str | None
    task_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    instance_prev_hash: str | None
    hash: str

    @classmethod
    def of(cls, row: AuditEvent, names: Mapping[str, str]) -> EventView:
        return cls(
            id=row.id,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            actor_name=names.get(row.actor, row.actor),
            action=row.action,
            action_label=action_label(row.action),
            instance_id=row.instance_id,
            task_id=row.task_id,
            detail=dict(row.detail or {}),
            prev_hash=row.prev_hash,
            instance_prev_hash=row.instance_prev_hash,
            hash=row.hash,
        )


def list_events(
    app: Container,
    principal: Principal,
    page: int,
    per_page: int,
    instance_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    start: date | datetime | None = None,
    end: date | datetime | None = None,
    order: str = "asc",
) -> Page[EventView]:
    """The trail for overseers (the observer role and admins). `action` without a dot takes its
    whole family (`task` = task.*); a date `end` includes that whole day (Beijing time)."""
    _require_overseer(app, principal)
    query = select(AuditEvent)
    if instance_id:
        query = query.where(AuditEvent.instance_id == instance_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(
            AuditEvent.action == action if "." in action else AuditEvent.action.like(f"{action}.%")
        )
    low, high = _moment(start, end_of_day=False), _moment(end, end_of_day=True)
    if low is not None and high is not None and low > high:
        raise Invalid("开始时间晚于结束时间，请检查 from 与 to", errors={"from": ["晚于 to"]})
    if low is not None:
        query = query.where(AuditEvent.at >= low)
    if high is not None:
        whole_day = isinstance(end, date) and not isinstance(end, datetime)  # up to the next day
        query = query.where(AuditEvent.at < high if whole_day else AuditEvent.at <= high)
    ordering = AuditEvent.seq.desc() if order == "desc" else AuditEvent.seq
    with app.db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(session.scalars(query.order_by(ordering).offset((page - 1) * per_page).limit(per_page)))
        names = actor_names(session, (row.actor for row in rows))
        items = [EventView.of(row, names) for row in rows]
    return Page(items, total, page, per_page)


def _moment(value: date | datetime | None, end_of_day: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
    day = value + timedelta(days=1) if end_of_day else value
    return datetime.combine(day, time.min, SHANGHAI)


def _require_overseer(app: Container, principal: Principal) -> None:
    require_overseer(principal, app.settings.observer_roles, "审计记录")
