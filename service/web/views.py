"""The pages. Each is a few lines: read the request, call the same service the REST API calls
(with the principal of the session), render. Service errors come back as the page with the
message (and per-field errors beside the fields)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from service.api.context import container
from service.services import accounts, dossier, instances, own_records, tasks
from service.services.definitions import latest_definitions
from service.services.errors import Conflict, Forbidden, Invalid, ServiceError, TooManyRequests, Unauthorized
from service.services.labels import collect_labels
from service.web import actions
from service.web.auth import check_csrf, current_principal, login_required, safe_next, start_session
from service.web.present import RECORD_LABELS
from service.web.uploads import read_form

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)
bp.before_request(check_csrf)

PER_PAGE = 20


@bp.route("/")
def home() -> Any:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("web.login"))
    if principal.id_number_digest and not principal.roles - {"应聘者", "候选人", "竞聘者", "揭榜人"}:
        return redirect(url_for("web.my_applications"))
    return redirect(url_for("web.inbox"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status = None, 200
    if request.method == "POST":
        app = container()
        try:
            token = accounts.login(
                app.db,
                request.form.get("username", ""),
                request.form.get("password", ""),
                app.settings.token_ttl_hours,
                address=request.remote_addr or "unknown",
                throttle=accounts.LoginThrottle.from_settings(app.settings),
            )
        except (Unauthorized, TooManyRequests) as failure:
            error, status = failure.detail, failure.status
        else:
            start_session(token)
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error, username=request.form.get("username", "")), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("web.login"))


@bp.route("/inbox")
@login_required
def inbox() -> Any:
    app, principal = container(), current_principal()
    tab = request.args.get("tab", "open")
    status = "completed" if tab == "done" else "open"
    role = request.args.get("role") or None
    definition_key = request.args.get("process") or None
    overdue = {"1": True}.get(request.args.get("overdue", ""))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    result = tasks.list_tasks(
        app,
        principal,
        page,
        PER_PAGE,
        status=status,
        role=role,
        overdue=overdue,
        definition_key=definition_key,
    )
    return render_template(
        "inbox.html",
        tab=tab,
        page=result,
        counts=tasks.open_counts_by_role(app, principal),
        role=role,
        process=definition_key,
        overdue=overdue,
        calendar=app.calendar.get(),
        processes=instances.process_names(app),
    )


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: str) -> Any:
    app, principal = container(), current_principal()
    detail = tasks.get_task(app, principal, task_id)
    errors: dict[str, list[str]] = {}
    values = detail.data
    status = 200
    if request.method == "POST":
        values, errors = read_form(app, principal, detail.form or {})
        if not errors:
            try:
                result = tasks.complete(app, principal, task_id, values)
            except Invalid as refused:
                errors = refused.errors or {}
                flash(refused.detail, "error")
            except (Conflict, Forbidden) as refused:
                # Not the fields: the step cannot be submitted now (加签 first, taken by someone).
                flash(refused.detail, "error")
                status = refused.status
            else:
                flash(f"「{detail.task.title}」已提交", "success")
                following = [t for t in result.open_tasks if tasks.can_act(principal, t)]
                if following:
                    return redirect(url_for("web.task", task_id=following[0].id))
                return redirect(url_for("web.inbox"))
        else:
            flash(f"表单有 {len(errors)} 处需要修改", "error")
    case = instances.summary(app, principal, detail.task.instance_id)
    return render_template(
        "task.html",
        detail=detail,
        values=values,
        errors=errors,
        case=case,
        labels=collect_labels(case.forms, detail.task.definition_key),
        can_act=tasks.can_act(principal, detail.task)
        and detail.task.delegation != "pending"
        and detail.task.signoff is None,
        ops=actions.for_task(app, principal, detail.task, case.instance.status == "running"),
        signing=actions.for_signers(app, principal, detail.task, case.instance.status == "running"),
        calendar=app.calendar.get(),
    ), 422 if errors else status


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str) -> Any:
    tasks.claim(container(), current_principal(), task_id)
    flash("已认领，该任务只由您办理", "success")
    return redirect(url_for("web.task", task_id=task_id))


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: str) -> Any:
    tasks.unclaim(container(), current_principal(), task_id)
    flash("已放回角色的公共待办", "success")
    return redirect(url_for("web.task", task_id=task_id))


@bp.route("/start")
@login_required
def start_page() -> Any:
    app, principal = container(), current_principal()
    definitions = instances.startable(app, principal)
    places = {d.key: instances.start_places(app, principal, d) for d in definitions}
    return render_template("start.html", definitions=definitions, places=places)


@bp.route("/start/<key>", methods=["POST"])
@login_required
def start(key: str) -> Any:
    app, principal = container(), current_principal()
    instance = instances.start(
        app,
        principal,
        key,
        request.form.get("business_key") or None,
        {},
        request.form.get("source_instance_id") or None,
        request.form.get("organisation") or None,
    )
    flash("已发起", "success")
    mine = [t for t in instances.open_tasks_of(app, instance.id) if tasks.can_act(principal, t)]
    if mine:
        return redirect(url_for("web.task", task_id=mine[0].id))
    return redirect(url_for("web.case", instance_id=instance.id))


@bp.route("/cases")
@login_required
def cases() -> Any:
    app, principal = container(), current_principal()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    status = request.args.get("status") or None
    result = instances.list_instances(
        app, principal, page, PER_PAGE, definition_key=request.args.get("process") or None, status=status
    )
    return render_template("cases.html", page=result, status=status, processes=instances.process_names(app))


@bp.route("/cases/<instance_id>")
@login_required
def case(instance_id: str) -> Any:
    app, principal = container(), current_principal()
    detail = instances.get_instance(app, principal, instance_id)
    summary = instances.summary(app, principal, instance_id)
    return render_template(
        "case.html",
        detail=detail,
        case=summary,
        labels=collect_labels(summary.forms, detail.instance.definition_key),
        calendar=app.calendar.get(),
        may_export=dossier.may_export(app, principal, instance_id),
        ops=actions.for_case(app, principal, detail.instance, detail.completed_steps),
    )


@bp.route("/cases/<instance_id>/dossier")
@login_required
def case_dossier(instance_id: str) -> Any:
    """The printable 纪实 dossier (the same template the API serves)."""
    return render_template(
        "dossier.html", dossier=dossier.build(container(), current_principal(), instance_id, "html")
    )


@bp.route("/cases/<instance_id>/dossier.xlsx")
@login_required
def case_dossier_xlsx(instance_id: str) -> Any:
    exported = dossier.export(container(), current_principal(), instance_id)
    response = Response(exported.content, mimetype=exported.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(exported.filename)}"
    return response


@bp.route("/cases/<instance_id>/diagram.json")
@login_required
def case_diagram(instance_id: str) -> Any:
    picture = instances.diagram(container(), current_principal(), instance_id)
    return jsonify(
        {
            "xml": picture.xml,
            "elements": [
                {"id": element, "completed": state.completed, "active": state.active, "error": state.error}
                for element, state in picture.elements.items()
            ],
        }
    )


@bp.route("/me/applications")
@login_required
def my_applications() -> Any:
    app, principal = container(), current_principal()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    result = own_records.list_mine(app, principal, page, PER_PAGE)
    keys = {a.definition_key for a in result.items}
    labels = {
        d.key: {**RECORD_LABELS, **collect_labels(d.forms or {}, d.key)}
        for d in latest_definitions(app.db)
        if d.key in keys
    }
    return render_template(
        "applications.html", page=result, linked=principal.id_number_digest is not None, labels=labels
    )


@bp.errorhandler(ServiceError)
def service_error(error: ServiceError) -> Any:
    """On pages, a refused action is a page with the message; the API keeps problem+json."""
    return render_template("error.html", title=error.title, detail=error.detail), error.status


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    titles = {400: "请求无效", 404: "页面不存在", 405: "不支持的操作", 413: "上传内容过大"}
    status = error.code or 500
    return render_template("error.html", title=titles.get(status, "出错了"), detail=error.description), status
