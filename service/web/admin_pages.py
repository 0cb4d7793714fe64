"""Admin pages (issue 13): users and roles (create, deactivate, reactivate), API tokens (list,
revoke) and the working-day calendar as a year view — over the services of the REST routes
(service/api/users.py, account_operations.py, calendar.py); each service checks the admin."""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.api.context import container
from service.services import account_operations, accounts
from service.services import calendar as workdays
from service.services.authorization import require_admin
from service.services.errors import Invalid, ServiceError
from service.store.models import User
from service.timeutil import SHANGHAI, utcnow
from service.web.auth import current_principal, login_required
from service.web.operations import _attempt, _refused
from service.web.views import bp


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def admin_users() -> Any:
    app, principal = container(), current_principal()
    require_admin(principal, "管理用户")
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        roles = [
            r
            for r in (request.form.get("roles") or "").replace("，", ",").replace("、", ",").split(",")
            if r.strip()
        ]
        try:
            # The lengths the REST schema (UserCreateSchema) asks for.
            if not 1 <= len(username) <= 100:
                raise Invalid("请填写用户名（不超过 100 个字符）", errors={"username": ["必填"]})
            if not 8 <= len(password) <= 200:
                raise Invalid("初始密码至少 8 位", errors={"password": ["至少 8 位"]})
            accounts.add_user(
                app.db,
                username,
                password,
                [r.strip() for r in roles],
                is_admin=request.form.get("admin") == "on",
                display_name=(request.form.get("display_name") or "").strip()[:100],
                id_number=(request.form.get("id_number") or "").strip() or None,
                actor=principal.username,
                manager=principal,
            )
        except ServiceError as error:
            _refused(error)
        else:
            flash(f"已新增用户 {username}", "success")
            return redirect(url_for("web.admin_users"))
    with app.db.transaction() as session:
        users = session.scalars(
            select(User)
            .where(User.is_system.is_(False))
            .options(selectinload(User.grants))
            .order_by(User.username)
        ).all()
        rows = [
            (
                u.username,
                u.display_name,
                accounts.grant_specs(u),
                u.is_admin,
                u.active,
                u.id_number_digest is not None,
            )
            for u in users
        ]
    return render_template("admin_users.html", rows=rows)


@bp.route("/admin/users/<username>/<any(deactivate, reactivate):act>", methods=["POST"])
@login_required
def admin_user_state(username: str, act: str) -> Any:
    active = act == "reactivate"
    return _attempt(
        lambda: account_operations.set_active(container().db, current_principal(), username, active=active),
        f"已{'启用' if active else '停用'}用户 {username}",
        url_for("web.admin_users"),
    )


@bp.route("/admin/tokens")
@login_required
def admin_tokens() -> Any:
    principal = current_principal()
    include_revoked = request.args.get("all") == "1"
    items = account_operations.list_tokens(container().db, principal, include_revoked)
    return render_template("admin_tokens.html", items=items, include_revoked=include_revoked)


@bp.route("/admin/tokens/<token_id>/revoke", methods=["POST"])
@login_required
def admin_revoke_token(token_id: str) -> Any:
    return _attempt(
        lambda: account_operations.revoke_token(container().db, current_principal(), token_id),
        "令牌已吊销，持有它的系统或会话立即失效",
        url_for("web.admin_tokens"),
    )


@dataclass(frozen=True)
class Day:
    day: date
    kind: str  # "holiday" | "workday" (调休上班) | "weekend" | "normal"
    note: str
    overridden: bool  # set by an admin or imported


@bp.route("/admin/calendar", methods=["GET", "POST"])
@login_required
def admin_calendar() -> Any:
    app, principal = container(), current_principal()
    require_admin(principal, "维护工作日历")
    year = request.args.get("year", type=int) or utcnow().astimezone(SHANGHAI).year
    if request.method == "POST":
        back = url_for("web.admin_calendar", year=year)
        try:
            day = date.fromisoformat(request.form.get("day") or "")
        except ValueError:
            flash("请选择日期", "error")
            return redirect(back)
        if request.form.get("kind") == "reset":
            return _attempt(
                lambda: workdays.delete_day(app, principal, day), f"已撤销 {day.isoformat()} 的调整", back
            )
        kind = request.form.get("kind") or ""
        return _attempt(
            lambda: workdays.set_day(app, principal, day, kind, request.form.get("note") or ""),
            f"已将 {day.isoformat()} 设为{'放假' if kind == 'holiday' else '上班'}",
            back,
        )
    try:
        official, listed = workdays.list_days(app.db, year)
    except ServiceError as error:
        _refused(error)
        return redirect(url_for("web.admin_calendar"))
    special = {d.day: d for d in listed}
    grid = []
    for month in range(1, 13):
        weeks = []
        for week in months.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                found = special.get(day)
                if found is not None:
                    row.append(Day(day, found.kind, found.note, found.source != "chinesecalendar"))
                else:
                    row.append(Day(day, "weekend" if day.weekday() >= 5 else "normal", "", False))
            weeks.append(row)
        grid.append((month, weeks))
    return render_template("admin_calendar.html", year=year, official=official, grid=grid)
