"""The process designer's workbench (issue 15): the web modeler (bpmn-js with the Camunda 7
properties panel, bundled at `make vendor`) and the versions of a process with their diff, running
cases and the migration between versions. For admins and the designer roles (`designer_roles`).

The modeler page posts the diagram and its forms (FormData with the CSRF token) to `check` and
`deploy`, which run the very checks of `POST /api/v1/definitions` (services/definitions) and answer
JSON: the problems name the element they are on, so the page marks it on the canvas.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from lxml import etree

from service.api.context import container
from service.api.problems import problem
from service.engine.parser import SourceFile
from service.engine.xml import UnsafeXmlError, parse_xml
from service.forms import FormSchemaError, load_form_schema
from service.services import case_operations, definitions, process_tests
from service.services.authorization import may_design, require
from service.services.errors import Invalid, ServiceError
from service.services.principal import Principal
from service.web.auth import current_principal, login_required
from service.web.operations import _refused
from service.web.views import bp

TEMPLATE = Path(__file__).resolve().parent / "templates" / "designer_new.bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _designer() -> Principal:
    principal = current_principal()
    assert principal is not None  # login_required ran first
    roles = container().settings.designer_roles
    require(
        may_design(principal, roles),
        f"流程设计工作台只对管理员和{'、'.join(roles) or '设计人员'}开放，请联系管理员授予角色",
    )
    return principal


@bp.route("/designer")
@login_required
def designer() -> Any:
    _designer()
    db = container().db
    key, version = request.args.get("key") or None, request.args.get("version", type=int)
    processes = [(d, definitions.versions(db, d.key)) for d in definitions.latest_definitions(db)]
    if key:
        xml, filename = definitions.definition_xml(db, key, version)
        opened = next(
            row for row in definitions.versions(db, key) if version in (None, row.definition.version)
        )
        forms, title = (
            opened.definition.forms or {},
            f"{opened.definition.name} 第 {opened.definition.version} 版",
        )
        based_on = {"key": key, "version": opened.definition.version}
        decisions = {
            source.filename: source.content.decode("utf-8")
            for source in definitions.companion_files(db, key, opened.definition.version, {filename})
            if source.kind == "dmn"
        }
    else:
        xml, filename, forms, title, based_on, decisions = _new_diagram(), "", {}, "新流程图", None, {}
    return render_template(
        "designer.html",
        processes=processes,
        opened_key=key,
        title=title,
        seed={"xml": xml, "filename": filename, "forms": forms, "based_on": based_on, "decisions": decisions},
    )


def _new_diagram() -> str:
    """The template, with a process id of its own so that deploying it never overwrites another."""
    suffix = secrets.token_hex(3)
    return TEMPLATE.read_text(encoding="utf-8").replace("Process_new", f"Process_{suffix}")


def _sources() -> list[SourceFile]:
    """The diagram and its forms as the deploy endpoint receives them."""
    xml = request.form.get("bpmn", "")
    if not xml.strip():
        raise Invalid("没有收到流程图（bpmn）", errors={"bpmn": ["必填"]})
    filename = _bpmn_filename(request.form.get("filename", ""), xml)
    files = [SourceFile(filename, xml.encode("utf-8"))]
    forms = _json_object("forms")
    for form_key, text in forms.items():
        files.append(SourceFile(f"{form_key}.schema.json", str(text).encode("utf-8")))
    for name, text in _json_object("decisions").items():
        if not _DMN_NAME.fullmatch(name):
            raise Invalid(f"决策表文件名 {name} 无效（应为 <名称>.dmn）", errors={"decisions": [name]})
        files.append(SourceFile(name, str(text).encode("utf-8")))
    based_on = request.form.get("based_on_key"), request.form.get("based_on_version", type=int)
    if based_on[0] and based_on[1]:
        given = {source.filename for source in files}
        files += definitions.companion_files(container().db, based_on[0], based_on[1], given)
    return files


_DMN_NAME = re.compile(r"[\w\-.]{1,200}\.dmn")
_PROCESS_ID = re.compile(r"[\w\-.]{1,200}")


def _json_object(field: str) -> dict[str, Any]:
    try:
        value = json.loads(request.form.get(field) or "{}")
    except ValueError:
        raise Invalid(f"{field} 不是有效的 JSON", errors={field: ["应为 JSON 对象"]}) from None
    if not isinstance(value, dict):
        raise Invalid(f"{field} 应为 JSON 对象", errors={field: ["应为 JSON 对象"]})
    return value


def _bpmn_filename(given: str, xml: str) -> str:
    """The opened version's file name; a new diagram is named by its process id."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1]
    if name.endswith(".bpmn"):
        return name
    try:
        process = parse_xml(xml.encode("utf-8")).find(f"{{{BPMN_NS}}}process")
    except (etree.XMLSyntaxError, UnsafeXmlError):
        return "diagram.bpmn"  # the deploy checks report what is wrong with it
    if process is not None and _PROCESS_ID.fullmatch(process.get("id") or ""):
        return f"{process.get('id')}.bpmn"
    return "diagram.bpmn"


def _problems(error: ServiceError) -> Response:
    """problem+json with `problems`: one entry per element (or form) a message is about."""
    extra = error.extra or {}
    problems = []
    if extra.get("element_id"):
        problems.append(
            {"element_id": extra["element_id"], "message": error.detail, "line": extra.get("line")}
        )
    for where, messages in (error.errors or {}).items():
        for message in messages:
            if not (extra.get("element_id") and where == extra.get("file")):
                problems.append({"element_id": None, "where": where, "message": message})
    return problem(error.status, error.detail, errors=error.errors, problems=problems)


@bp.route("/designer/check", methods=["POST"])
@login_required
def designer_check() -> Any:
    principal, app = _designer(), container()
    try:
        processes = definitions.check(
            app.db, principal, _sources(), app.settings.designer_roles, app.settings.observer_roles
        )
    except ServiceError as error:
        return _problems(error)
    return jsonify(ok=True, processes=[{"key": p.key, "name": p.name} for p in processes])


@bp.route("/designer/test-cases", methods=["POST"])
@login_required
def designer_test_cases() -> Any:
    """The process test cases (processes/tests/<key>/) of each process the edited diagram
    defines, run against it before it is deployed; the checks of 校验 first."""
    principal, app = _designer(), container()
    sources = _sources()
    try:
        processes = definitions.check(
            app.db, principal, sources, app.settings.designer_roles, app.settings.observer_roles
        )
        with_cases = [p for p in processes if process_tests.cases_of(p.key)]
        runs = {
            p.key: process_tests.run_for_process(app.db, principal, p.key, app.settings, candidate=sources)
            for p in with_cases
        }
    except ServiceError as error:
        return _problems(error)
    return jsonify(
        ok=all(r.passed for results in runs.values() for r in results),
        without_cases=[p.key for p in processes if p.key not in runs],
        processes=[
            {
                "key": key,
                "passed": sum(r.passed for r in results),
                "failed": sum(not r.passed for r in results),
                "results": [
                    {**process_tests.as_json(r), "report": process_tests.describe(r)} for r in results
                ],
            }
            for key, results in runs.items()
        ],
    )


@bp.route("/designer/deploy", methods=["POST"])
@login_required
def designer_deploy() -> Any:
    principal, app = _designer(), container()
    try:
        deployed = definitions.deploy(
            app.db,
            principal,
            _sources(),
            app.settings.designer_roles,
            name=(request.form.get("name") or "流程设计工作台")[:200],
            source="designer",
            observer_roles=app.settings.observer_roles,
        )
    except ServiceError as error:
        return _problems(error)
    return jsonify(
        ok=True,
        versions=[
            {
                "key": v.key,
                "version": v.version,
                "name": v.name,
                "created": v.created,
                "versions_url": url_for("web.designer_versions", key=v.key),
            }
            for v in deployed
        ],
    )


@bp.route("/designer/form-preview", methods=["POST"])
@login_required
def designer_form_preview() -> Any:
    """The form as the task page renders it (templates/_form.html), from the edited schema."""
    _designer()
    form_key = request.form.get("form_key") or "form"
    try:
        schema = load_form_schema(
            f"{form_key}.schema.json", (request.form.get("schema") or "").encode("utf-8")
        )
    except FormSchemaError as error:
        return problem(422, str(error), errors={"schema": [str(error)]})
    return render_template("_designer_preview.html", schema=schema)


@bp.route("/designer/<string:key>/versions")
@login_required
def designer_versions(key: str) -> Any:
    principal, db = _designer(), container().db
    rows = definitions.versions(db, key)
    newest = rows[0].definition.version
    to_version = request.args.get("to", newest, type=int)
    from_version = request.args.get("from", max(1, to_version - 1), type=int)
    diff = definitions.diff(db, key, from_version, to_version) if from_version != to_version else None
    running = {
        row.definition.version: definitions.running_cases(db, key, row.definition.version) for row in rows
    }
    return render_template(
        "designer_versions.html",
        key=key,
        rows=rows,
        diff=diff,
        from_version=from_version,
        to_version=to_version,
        running=running,
        may_migrate=principal.is_admin,
    )


@bp.route("/designer/<string:key>/migrate", methods=["POST"])
@login_required
def designer_migrate(key: str) -> Any:
    principal = _designer()
    try:
        from_version, to_version = int(request.form["from_version"]), int(request.form["to_version"])
    except (KeyError, ValueError):
        abort(400, description="请选择源版本和目标版本")
    ids = request.form.getlist("instance_ids") or None
    dry_run = request.form.get("dry_run") == "1"
    back = url_for("web.designer_versions", key=key, **{"from": from_version, "to": to_version})

    try:
        report = case_operations.migrate(container(), principal, key, from_version, to_version, ids, dry_run)
    except ServiceError as error:
        _refused(error)
        return redirect(back)
    labels = {"migrated": "已迁移", "would_migrate": "可以迁移（试运行，未修改）", "refused": "不能迁移"}
    if not report.items:
        flash(f"第 {from_version} 版没有运行中的实例", "success")
    for item in report.items:
        why = "；".join(item.reasons or item.changes)
        flash(
            f"{item.business_key or item.instance_id}：{labels[item.status]}" + (f"（{why}）" if why else ""),
            "error" if item.status == "refused" else "success",
        )
    return redirect(back)
