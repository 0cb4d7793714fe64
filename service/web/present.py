"""How pages say things: labels instead of variable names, Beijing dates, deadlines in working
days ("剩余 3 个工作日（12月9日 23:59 截止）")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from service.domain.workdays import WorkCalendar, workdays_between
from service.timeutil import SHANGHAI, utcnow

WEEKDAYS = "一二三四五六日"

# Fields of a registration record (揭榜申请 / 报名登记) that are no form field of their own.
RECORD_LABELS = {
    "shouli": "是否受理",
    "hege": "资格审查合格",
    "liyou": "理由",
    "xuhao": "序号",
    "shoudao_riqi": "收到日期",
}


# A case's status as the office says it.
CASE_STATUS_WORDS = {
    "running": "办理中",
    "completed": "已结束",
    "error": "出错",
    "suspended": "已挂起",
    "cancelled": "已撤销",
}


def case_status(status: str) -> str:
    return CASE_STATUS_WORDS.get(str(status), str(status))


def beijing(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    local = value.astimezone(SHANGHAI)
    text = f"{local.year}年{local.month}月{local.day}日"
    return f"{text} {local:%H:%M}" if with_time else text


def day_text(value: Any) -> str:
    """A date value from the data (ISO text) as 2026年12月2日, a time with its zone as
    2026年12月2日 23:59 in Beijing time; anything else unchanged."""
    if isinstance(value, str) and len(value) > 16 and value[10:11] == "T" and value[4] == "-":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return beijing(moment) if moment.tzinfo is not None else value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day.year}年{day.month}月{day.day}日"
    return str(value)


def due_text(due_at: datetime | None, calendar: WorkCalendar, now: datetime | None = None) -> tuple[str, str]:
    """(text, level) where level is "overdue", "soon" (≤ 2 working days) or "" ."""
    if due_at is None:
        return "", ""
    now = now or utcnow()
    local = due_at.astimezone(SHANGHAI)
    deadline = f"{local.month}月{local.day}日 {local:%H:%M} 截止"
    if due_at < now:
        return f"已超期（{deadline}）", "overdue"
    today = now.astimezone(SHANGHAI).date()
    left, _provisional = workdays_between(calendar, today, local.date())
    if left == 0:
        return f"今天到期（{deadline}）", "soon"
    return f"剩余 {left} 个工作日（{deadline}）", "soon" if left <= 2 else ""


def value_text(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return "—"
    return day_text(value)
