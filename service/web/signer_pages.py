"""加签 / 减签 / 签署 on the task page and 待我签署 (issue 10's signers, on the pages).

Each POST calls services/signers.py like the REST routes in service/api/signers.py; a refusal
comes back as the service's message on the task page."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request

from service.api.context import container
from service.domain.signers import POSITION_LABELS, Position
from service.services import signers, tasks
from service.web.auth import current_principal, login_required
from service.web.operations import _attempt, _comment, _names, _task_page
from service.web.views import PER_PAGE, bp


@bp.route("/tasks/<task_id>/signers", methods=["POST"])
@login_required
def add_signers(task_id: str) -> Any:
    users = _names("users")
    position = request.form.get("position") or ""
    if position not in {p.value for p in Position}:
        flash("请选择加签方式：前加签、后加签或并加签", "error")
        return redirect(_task_page(task_id) + "#signers")
    return _attempt(
        lambda: signers.add_signers(container(), current_principal(), task_id, users, position, _comment()),
        f"已{POSITION_LABELS[Position(position)]}：{'、'.join(users)}",
        _task_page(task_id) + "#signers",
    )


@bp.route("/tasks/<task_id>/signers/<username>/remove", methods=["POST"])
@login_required
def remove_signer(task_id: str, username: str) -> Any:
    return _attempt(
        lambda: signers.remove_signer(container(), current_principal(), task_id, username),
        f"已减签：{username}",
        _task_page(task_id) + "#signers",
    )


@bp.route("/tasks/<task_id>/sign", methods=["POST"])
@login_required
def sign(task_id: str) -> Any:
    agree = request.form.get("agree") == "true"
    return _attempt(
        lambda: signers.sign(container(), current_principal(), task_id, agree, _comment()),
        "已签署：同意" if agree else "已签署：不同意，任务已回到办理人",
        _task_page(task_id) + "#signers",
    )


@bp.route("/signoffs")
@login_required
def signoffs() -> Any:
    """待我签署 / 我已签署."""
    app, principal = container(), current_principal()
    status = "done" if request.args.get("status") == "done" else "open"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    result = signers.list_signoffs(app, principal, status, page, PER_PAGE)
    return render_template(
        "signoffs.html", page=result, status=status, counts=tasks.open_counts_by_role(app, principal)
    )
