"""The working-day calendar over `calendar_days` / `calendar_years`: seeding from the
`chinesecalendar` package, administrators' overrides, CSV import, and a per-process cache."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chinese_calendar
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from service.domain.workdays import MAX_WORKDAYS, Deadline, WorkCalendar, add_workdays, workdays_between
from service.services import audit, calendar_csv
from service.services.authorization import require_admin
from service.services.calendar_cache import HOLIDAY, WORKDAY, invalidate_all
from service.services.calendar_csv import MAX_YEAR, MIN_YEAR, NOTE_MAX
from service.services.deadlines import recompute_deadlines
from service.services.errors import Invalid, NotFound
from service.services.principal import Principal
from service.store.db import Database
from service.store.models import CalendarDay, CalendarYear
from service.timeutil import utcnow

if TYPE_CHECKING:
    from service.container import Container

log = logging.getLogger(__name__)

KINDS = (HOLIDAY, WORKDAY)
SEED, ADMIN, IMPORT = "chinesecalendar", "admin", "import"

# The package names holidays in English; people read the State Council's names.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

# Called after a committed change with the dates that changed (e.g. to recompute deadlines).


# Seeding ---------------------------------------------------------------------------------


def _chinese_name(english: str | None) -> str:
    if not english:
        return ""
    if english in HOLIDAY_NAMES:
        return HOLIDAY_NAMES[english]
    try:  # a holiday added by a newer package release
        return str(chinese_calendar.Holiday(english).chinese)
    except (ValueError, AttributeError):
        return english


@cache
def seed_years() -> range:
    """The years the installed chinesecalendar release covers."""
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


@cache
def seed_days() -> dict[date, tuple[str, str]]:
    """Days where the package departs from Monday–Friday: day -> (kind, Chinese holiday name)."""
    days: dict[date, tuple[str, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5 and day not in chinese_calendar.workdays:
            days[day] = (HOLIDAY, _chinese_name(name))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            days[day] = (WORKDAY, _chinese_name(name))
    return days


def seed_from_chinesecalendar(db: Database) -> int:
    """Bring the seeded rows in line with the installed package; returns the rows written.

    Idempotent and cheap (one read, one bulk insert), so it runs after every upgrade.
    Rows an administrator set or imported keep their value; only their `seed_kind`
    follows the package, so deleting the override restores what the package says.
    """
    expected, years = seed_days(), seed_years()
    first, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    now = utcnow()
    written = 0
    with db.transaction(write=True) as session:
        rows = {
            row.day: row
            for row in session.scalars(select(CalendarDay).where(CalendarDay.day.between(first, last)))
        }
        new: list[dict[str, Any]] = []
        for day, (kind, note) in sorted(expected.items()):
            row = rows.get(day)
            if row is None:
                new.append(
                    {"day": day, "kind": kind, "note": note, "source": SEED, "seed_kind": kind}
                    | {"updated_at": now, "updated_by": "system"}
                )
            elif row.source == SEED and (row.kind, row.note, row.seed_kind) != (kind, note, kind):
                row.kind, row.note, row.seed_kind, row.updated_at = kind, note, kind, now
                written += 1
            elif row.source != SEED and row.seed_kind != kind:
                row.seed_kind = kind
                written += 1
        for day, row in rows.items():
            if day in expected:
                continue
            if row.source == SEED:  # a newer package release withdrew it
                session.delete(row)
                written += 1
            elif row.seed_kind is not None:
                row.seed_kind = None
                written += 1
        if new:
            session.execute(insert(CalendarDay), new)
        known = set(
            session.scalars(select(CalendarYear.year).where(CalendarYear.year.between(first.year, last.year)))
        )
        missing = [
            {"year": year, "source": SEED, "note": "", "updated_at": now}
            for year in years
            if year not in known
        ]
        if missing:
            session.execute(insert(CalendarYear), missing)
        written += len(new) + len(missing)
        if written:
            audit.record(
                session, "system", "calendar.seeded", years=[years.start, years.stop - 1], rows=written
            )
    return written


# Reading and caching: services.calendar_cache (the container holds one; it imports no use case).


def _changed(app: Container, dates: list[date]) -> None:
    """After commit: drop cached calendars, then move every pending deadline the change affects."""
    invalidate_all()
    try:
        recompute_deadlines(app, dates)
    except Exception:  # the change is committed; the next change or a restart recomputes again
        log.exception("recomputing deadlines after the calendar change of %s failed", dates)


# Computing -------------------------------------------------------------------------------


def workday_deadline(calendar: WorkCalendar, start: date, days: int) -> Deadline:
    try:
        return add_workdays(calendar, start, days)
    except ValueError as error:
        raise Invalid(str(error), errors={"days": [f"应为 0 到 {MAX_WORKDAYS} 之间的整数"]}) from None


def count_workdays(calendar: WorkCalendar, start: date, end: date) -> tuple[int, bool]:
    return workdays_between(calendar, start, end)


# Administration --------------------------------------------------------------------------


def _require_admin(principal: Principal) -> None:
    require_admin(principal, "维护工作日历")


def check_year(year: int, field: str = "year") -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        message = f"应在 {MIN_YEAR}–{MAX_YEAR} 年之间"
        raise Invalid(f"年份 {year} 超出范围：{message}", errors={field: [message]})


def _mark_official(session: Session, years: set[int], source: str) -> list[int]:
    """Entering a year's schedule makes the year official; returns the years newly marked."""
    known = set(session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(years))))
    added = sorted(years - known)
    for year in added:
        session.add(CalendarYear(year=year, source=source, note="", updated_at=utcnow()))
    return added


def _override(session: Session, day: date, kind: str, note: str, source: str, actor: str) -> CalendarDay:
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day, seed_kind=None)
        session.add(row)
    row.kind, row.note, row.source = kind, note, source
    row.updated_at, row.updated_by = utcnow(), actor
    return row


def set_day(app: Container, principal: Principal, day: date, kind: str, note: str = "") -> CalendarDay:
    """An administrator declares one day a holiday or a working day."""
    _require_admin(principal)
    check_year(day.year, "date")
    if kind not in KINDS:
        raise Invalid(
            "类型只能是 holiday（放假）或 workday（上班）", errors={"type": ["只能是 holiday 或 workday"]}
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"备注不能超过 {NOTE_MAX} 个字", errors={"note": [f"不超过 {NOTE_MAX} 个字"]})
    with app.db.transaction(write=True) as session:
        previous = session.get(CalendarDay, day)
        before = previous.kind if previous is not None else None
        row = _override(session, day, kind, note, ADMIN, principal.username)
        new_years = _mark_official(session, {day.year}, ADMIN)
        audit.record(
            session,
            principal.username,
            "calendar.day_set",
            day=day.isoformat(),
            kind=kind,
            note=note,
            previous=before,
            official_years_added=new_years,
        )
    _changed(app, [day])
    return row


def delete_day(app: Container, principal: Principal, day: date) -> None:
    """Remove an administrator's or imported value: back to the package's, else the weekday rule."""
    _require_admin(principal)
    with app.db.transaction(write=True) as session:
        row = session.get(CalendarDay, day)
        if row is None or row.source == SEED:
            raise NotFound(f"{day.isoformat()} 没有管理员设置或导入的调整，无需删除")
        removed = row.kind
        if row.seed_kind:
            row.kind, row.note, row.source = row.seed_kind, seed_days().get(day, ("", ""))[1], SEED
            row.updated_at, row.updated_by = utcnow(), principal.username
        else:
            session.delete(row)
        audit.record(
            session,
            principal.username,
            "calendar.day_deleted",
            day=day.isoformat(),
            removed=removed,
            restored=row.seed_kind or None,
        )
    _changed(app, [day])


def list_days(db: Database, year: int) -> tuple[bool, list[CalendarDay]]:
    """Whether the year is official, and its days that differ from Monday–Friday."""
    check_year(year)
    with db.transaction() as session:
        official = session.get(CalendarYear, year) is not None
        days = session.scalars(
            select(CalendarDay)
            .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(CalendarDay.day)
        ).all()
    return official, list(days)


@dataclass(frozen=True)
class ImportResult:
    days: int
    years: list[int]


def _csv_text(source: str | bytes | Path) -> str:
    if isinstance(source, bytes):
        return calendar_csv.decode(source)
    if isinstance(source, Path) or ("\n" not in source and Path(source).is_file()):
        path = Path(source)
        try:
            return calendar_csv.decode(path.read_bytes())
        except OSError as error:
            raise Invalid(f"无法读取文件 {path}：{error.strerror}", errors={"file": ["无法读取"]}) from None
    return source


def import_csv(
    app: Container, principal: Principal, path_or_text: str | bytes | Path, year: int | None = None
) -> ImportResult:
    """Import a year's schedule (`date,type,note`): all lines are checked first, then all are
    written, or none. Listed days become overrides (source "import"); days not listed keep
    their current value. Every year present (and `year`, if given) becomes official."""
    _require_admin(principal)
    if year is not None:
        check_year(year)
    entries = calendar_csv.parse(_csv_text(path_or_text), year)
    years = {entry.day.year for entry in entries} | ({year} if year is not None else set())
    with app.db.transaction(write=True) as session:
        for entry in entries:
            _override(session, entry.day, entry.kind, entry.note, IMPORT, principal.username)
        new_years = _mark_official(session, years, IMPORT)
        audit.record(
            session,
            principal.username,
            "calendar.imported",
            days=len(entries),
            years=sorted(years),
            official_years_added=new_years,
            dates=[entry.day.isoformat() for entry in entries],
        )
    _changed(app, sorted(entry.day for entry in entries))
    return ImportResult(days=len(entries), years=sorted(years))
