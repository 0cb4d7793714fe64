"""The approval and case operations of issue 10 on the pages: 转办, 委派/交回, 退回, 抄送, 审批意见,
撤回, 催办, and for admins 挂起/恢复/撤销/重试 and the list of cases in error.

Each POST calls the same service as the REST route (services/task_operations.py, task_return.py,
case_operations.py, instances.retry); a refusal comes back as a flash message in Chinese on the
page the person was on, never as an error page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from service.api.context import container
from service.services import case_operations, instances, task_operations, task_return, tasks
from service.services.errors import ServiceError
from service.web.auth import current_principal, login_required
from service.web.uploads import read_form
from service.web.views import PER_PAGE, bp


def _refused(error: ServiceError) -> None:
    """The service's message, and what it says per field, as one line above the page."""
    details = [
        message for messages in (getattr(error, "errors", None) or {}).values() for message in messages
    ]
    extra = [d for d in details if isinstance(d, str) and d not in error.detail]
    flash(error.detail + (f"（{'；'.join(extra)}）" if extra else ""), "error")


def _attempt(
    action: Callable[[], Any], done: str, back: str, onward: Callable[[Any], str] | None = None
) -> Any:
    try:
        result = action()
    except ServiceError as error:
        _refused(error)
        return redirect(back)
    flash(done, "success")
    return redirect(onward(result) if onward else back)


def _comment() -> str | None:
    return (request.form.get("comment") or "").strip() or None


def _names(field: str) -> list[str]:
    """Several names from a multi-select and/or one text box (separated by 、，, or spaces)."""
    names: list[str] = []
    for value in request.form.getlist(field):
        names.extend(part for part in re.split(r"[\s,，、;；]+", value) if part)
    return list(dict.fromkeys(names))


def _task_page(task_id: str) -> str:
    return url_for("web.task", task_id=task_id)


def _after_handing_on(result: task_operations.Operation) -> str:
    """After 转办/委派 the task is someone else's: back to the inbox if it is no longer mine."""
    if tasks.can_act(current_principal(), result.task):
        return _task_page(result.task.id)
    return url_for("web.inbox")


def _next_page(result: Any, fallback: str) -> str:
    principal = current_principal()
    mine = [t for t in result.open_tasks if tasks.can_act(principal, t)]
    return _task_page(mine[0].id) if mine else fallback


# --- task operations --------------------------------------------------------------------------


@bp.route("/tasks/<task_id>/transfer", methods=["POST"])
@login_required
def transfer(task_id: str) -> Any:
    to_user = (request.form.get("to_user") or "").strip()
    return _attempt(
        lambda: task_operations.transfer(container(), current_principal(), task_id, to_user, _comment()),
        f"已转办给 {to_user}",
        _task_page(task_id),
        _after_handing_on,
    )


@bp.route("/tasks/<task_id>/delegate", methods=["POST"])
@login_required
def delegate(task_id: str) -> Any:
    to_user = (request.form.get("to_user") or "").strip()
    return _attempt(
        lambda: task_operations.delegate(container(), current_principal(), task_id, to_user, _comment()),
        f"已委派给 {to_user}，待其办理完毕交回后由您提交",
        _task_page(task_id),
        _after_handing_on,
    )


@bp.route("/tasks/<task_id>/resolve", methods=["POST"])
@login_required
def resolve(task_id: str) -> Any:
    """交回: what the delegate filled in goes back as the owner's draft."""
    app, principal = container(), current_principal()
    try:
        detail = tasks.get_task(app, principal, task_id)
    except ServiceError as error:
        _refused(error)
        return redirect(url_for("web.inbox"))
    values, errors = read_form(app, principal, detail.form) if detail.form else ({}, {})
    if errors:
        flash(f"表单有 {len(errors)} 处需要修改，修改后再交回", "error")
        return redirect(_task_page(task_id))
    return _attempt(
        lambda: task_operations.resolve(app, principal, task_id, _comment(), values),
        f"「{detail.task.title}」已交回委派人",
        _task_page(task_id),
        _after_handing_on,
    )


@bp.route("/tasks/<task_id>/return", methods=["POST"])
@login_required
def return_task(task_id: str) -> Any:
    target = (request.form.get("target") or "").strip()
    if not target:
        flash("请选择退回到哪一步", "error")
        return redirect(_task_page(task_id))
    return _attempt(
        lambda: task_return.return_task(container(), current_principal(), task_id, target, _comment()),
        "已退回",
        _task_page(task_id),
        lambda result: _next_page(result, url_for("web.case", instance_id=result.instance.id)),
    )


@bp.route("/tasks/<task_id>/cc", methods=["POST"])
@login_required
def cc(task_id: str) -> Any:
    return _attempt(
        lambda: task_operations.cc(
            container(), current_principal(), task_id, _names("users"), _names("roles"), _comment()
        ),
        "已抄送",
        _task_page(task_id),
        lambda result: _task_page(task_id) + "#cc",
    )


@bp.route("/tasks/<task_id>/comments", methods=["POST"])
@login_required
def add_comment(task_id: str) -> Any:
    return _attempt(
        lambda: task_operations.add_comment(
            container(), current_principal(), task_id, request.form.get("text") or ""
        ),
        "审批意见已保存",
        _task_page(task_id) + "#comments",
    )


@bp.route("/tasks/<task_id>/withdraw", methods=["POST"])
@login_required
def withdraw(task_id: str) -> Any:
    back = request.form.get("instance_id")
    fallback = url_for("web.case", instance_id=back) if back else _task_page(task_id)
    return _attempt(
        lambda: task_return.withdraw(container(), current_principal(), task_id, _comment()),
        "已撤回，可重新办理",
        fallback,
        lambda result: _next_page(result, fallback),
    )


@bp.route("/tasks/<task_id>/urge", methods=["POST"])
@login_required
def urge(task_id: str) -> Any:
    back = request.form.get("instance_id")
    page = url_for("web.case", instance_id=back) if back else _task_page(task_id)
    return _attempt(
        lambda: task_operations.urge(
            container(), current_principal(), task_id, (request.form.get("message") or "").strip() or None
        ),
        "已催办",
        page,
    )


# --- 抄送我的 ------------------------------------------------------------------------------------


@bp.route("/cc")
@login_required
def cc_inbox() -> Any:
    app, principal = container(), current_principal()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    status = {"unread": "unread", "read": "read"}.get(request.args.get("status", ""))
    result = task_operations.list_cc(app, principal, status, page, PER_PAGE)
    return render_template(
        "cc.html",
        page=result,
        status=status,
        counts=tasks.open_counts_by_role(app, principal),
        processes=instances.process_names(app),
    )


@bp.route("/cc/<int:cc_id>", methods=["POST"])
@login_required
def open_cc(cc_id: int) -> Any:
    """Opening a 抄送 marks it read (a POST: reading changes state and is recorded)."""
    try:
        item = task_operations.read_cc(container(), current_principal(), cc_id)
    except ServiceError as error:
        _refused(error)
        return redirect(url_for("web.cc_inbox"))
    return redirect(_task_page(item.task_id))


# --- case operations (admins) ---------------------------------------------------------------------


def _case_page(instance_id: str) -> str:
    return url_for("web.case", instance_id=instance_id)


def _reason() -> str:
    return (request.form.get("reason") or "").strip()


@bp.route("/cases/<instance_id>/suspend", methods=["POST"])
@login_required
def suspend(instance_id: str) -> Any:
    return _attempt(
        lambda: case_operations.suspend(container(), current_principal(), instance_id, _reason()),
        "流程实例已挂起",
        _case_page(instance_id),
    )


@bp.route("/cases/<instance_id>/resume", methods=["POST"])
@login_required
def resume(instance_id: str) -> Any:
    return _attempt(
        lambda: case_operations.resume(container(), current_principal(), instance_id, _reason() or None),
        "流程实例已恢复办理",
        _case_page(instance_id),
    )


@bp.route("/cases/<instance_id>/cancel", methods=["POST"])
@login_required
def cancel(instance_id: str) -> Any:
    return _attempt(
        lambda: case_operations.cancel(container(), current_principal(), instance_id, _reason()),
        "流程实例已撤销",
        _case_page(instance_id),
    )


@bp.route("/cases/<instance_id>/retry", methods=["POST"])
@login_required
def retry(instance_id: str) -> Any:
    back = url_for("web.errors") if request.form.get("back") == "errors" else _case_page(instance_id)
    return _attempt(
        lambda: instances.retry(container(), current_principal(), instance_id),
        "已重试，流程继续办理",
        back,
    )


@bp.route("/admin/errors")
@login_required
def errors() -> Any:
    """出错的流程: admins only, as the REST list of instances in `error` is for them to mend."""
    app, principal = container(), current_principal()
    if not principal.is_admin:
        return render_template(
            "error.html", title="无权查看", detail="只有管理员可以查看出错的流程并重试"
        ), 403
    page = max(1, request.args.get("page", 1, type=int) or 1)
    result = instances.list_instances(app, principal, page, PER_PAGE, status="error")
    return render_template("errors.html", page=result, processes=instances.process_names(app))
