"""The public notice board (no login): the open calls (发榜 / 招聘公告) and the publicity
periods (公示) with their content and end date, a real-name objection form under each 公示
(X-04) and the feedback by receipt code; and, for candidates with an account, the online
application to an open call (X-03). All through services/intake.py."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from service.api.context import container
from service.services import files, intake
from service.services.errors import Invalid, NotFound, ServiceError
from service.services.labels import collect_labels
from service.web.auth import current_principal, login_required
from service.web.uploads import read_form
from service.web.views import bp


def _labels(notice: intake.Notice) -> dict[str, str]:
    return collect_labels(notice.forms, notice.definition_key)


@bp.route("/gongshi")
def notice_board() -> Any:
    found = intake.notices(container())
    return render_template(
        "notices.html",
        calls=[n for n in found if n.kind == "call"],
        publicities=[n for n in found if n.kind == "publicity"],
        labels={n.task_id: _labels(n) for n in found},
    )


@bp.route("/gongshi/<instance_id>", methods=["GET", "POST"])
def objection(instance_id: str) -> Any:
    """One 公示 with its objection form (real name, contact, facts)."""
    app = container()
    publicity = intake.notice(app, instance_id, "publicity")
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {
            name: (request.form.get(name) or "").strip()
            for name in ("jubaoren", "lianxi_fangshi", "shishi")
            if (request.form.get(name) or "").strip()
        }
        evidence = [
            (upload.filename, upload.read())
            for upload in request.files.getlist(intake.EVIDENCE_FIELD)
            if upload.filename  # an empty file input still sends one nameless part
        ]
        try:
            receipt = intake.file_objection(
                app, instance_id, values, request.remote_addr or "unknown", evidence=evidence
            )
        except ServiceError as refused:  # a refused field, a file too large or of a wrong kind
            errors, status = refused.errors or {}, refused.status
            if intake.EVIDENCE_FIELD in errors:  # the whole sentence next to the file input
                errors[intake.EVIDENCE_FIELD] = [refused.detail]
            flash(refused.detail, "error")
        else:
            return render_template("objection_filed.html", receipt=receipt)
    return render_template(
        "objection.html",
        notice=publicity,
        labels=_labels(publicity),
        values=values,
        errors=errors,
        max_files=intake.MAX_EVIDENCE_FILES,
        max_size=files.size_words(app.settings.max_upload_bytes),
        allowed=files.allowed_words(app),
    ), status


@bp.route("/gongshi/feedback")
def objection_feedback() -> Any:
    code = (request.args.get("code") or "").strip()
    result, missing = None, None
    if code:
        try:
            result = intake.feedback(container(), code)
        except NotFound as error:
            missing = error.detail
    return render_template(
        "feedback.html", code=code, result=result, missing=missing
    ), 404 if missing else 200


@bp.route("/apply/<instance_id>", methods=["GET", "POST"])
@login_required
def apply(instance_id: str) -> Any:
    """网上报名 / 揭榜: the registration form of an open call, filled by the candidate."""
    app, principal = container(), current_principal()
    call, form = intake.application_form(app, principal, instance_id)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values, errors = read_form(app, principal, form)
        if not errors:
            try:
                intake.apply(app, principal, instance_id, values)
            except Invalid as refused:
                errors = refused.errors or {}
                flash(refused.detail, "error")
            else:
                flash(f"已提交「{call.definition_name}」的申请，受理结果见下方", "success")
                return redirect(url_for("web.my_applications"))
        else:
            flash(f"表单有 {len(errors)} 处需要修改", "error")
    return render_template(
        "apply.html", notice=call, form=form, values=values, errors=errors, labels=_labels(call)
    ), 422 if errors else 200
