from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from service.api.context import container, principal
from service.api.schemas import (
    DefinitionSchema,
    DefinitionVersionsSchema,
    DeployedSchema,
    DiffQuerySchema,
    TestRunSchema,
    VersionDiffSchema,
    XmlQuerySchema,
    raw_fields,
)
from service.engine.parser import SourceFile
from service.services import definitions, process_tests

blp = Blueprint("definitions", __name__, url_prefix="/api/v1/definitions", description="流程定义")


def _multipart_doc(required: bool, **fields: str) -> dict[str, Any]:
    """An OpenAPI request body of file arrays, one per field, described in `fields`."""
    properties = {
        name: {"type": "array", "items": {"type": "string", "format": "binary"}, "description": text}
        for name, text in fields.items()
    }
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(fields)
    return {"requestBody": {"required": required, "content": {"multipart/form-data": {"schema": schema}}}}


_UPLOAD_DOC = _multipart_doc(True, files=".bpmn、.dmn 以及表单 <formKey>.schema.json")


@blp.route("", methods=["POST"])
@blp.doc(**_UPLOAD_DOC)
@blp.response(201, DeployedSchema(many=True))
def deploy() -> list[Any]:
    """部署流程定义（管理员或设计人员）：校验后为内容有变化的流程生成新版本"""
    files = _uploads("files")
    app = container()
    return definitions.deploy(
        app.db,
        principal(),
        files,
        app.settings.designer_roles,
        source="REST",
        observer_roles=app.settings.observer_roles,
    )


@blp.route("")
@blp.response(200, DefinitionSchema(many=True))
def list_definitions() -> list[Any]:
    """各流程的最新版本"""
    return definitions.latest_definitions(container().db)


@blp.route("/<string:key>")
@blp.response(200, DefinitionVersionsSchema)
def definition_versions(key: str) -> dict[str, Any]:
    """某流程的所有版本（新版本在前）"""
    rows = definitions.versions(container().db, key)
    return {
        "key": key,
        "name": rows[0].definition.name,
        "versions": [
            {
                **raw_fields(row.definition, DefinitionSchema),
                "forms": row.definition.forms,
                "deployed_by": row.deployed_by,
                "deployment_name": row.deployment_name,
                "running": row.running,
            }
            for row in rows
        ],
    }


@blp.route("/<string:key>/diff")
@blp.arguments(DiffQuerySchema, location="query")
@blp.response(200, VersionDiffSchema)
def version_diff(query: dict[str, Any], key: str) -> Any:
    """两个版本之间的差异：新增、删除、修改的元素（名称、角色、表单、期限、脚本、条件……）与表单字段"""
    return definitions.diff(container().db, key, query["from_version"], query["to_version"])


@blp.route("/<string:key>/xml")
@blp.arguments(XmlQuerySchema, location="query")
@blp.response(200, content_type="application/xml")
def definition_xml(query: dict[str, Any], key: str) -> Response:
    """BPMN 源文件（默认最新版本），可在 Camunda Modeler / bpmn.io 中打开"""
    content, filename = definitions.definition_xml(container().db, key, query.get("version"))
    response = Response(content, mimetype="application/xml")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    return response


_TEST_RUN_DOC = _multipart_doc(
    False,
    files="待测的 .bpmn（代替已部署的）、.dmn、表单；不传即测已部署版本",
    cases="测试用例 .json；不传即用 processes/tests/<key>/ 中的用例",
)


def _uploads(field: str) -> list[SourceFile]:
    return [
        SourceFile((upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1], upload.read())
        for upload in request.files.getlist(field)
    ]


@blp.route("/<string:key>/test-cases/run", methods=["POST"])
@blp.doc(**_TEST_RUN_DOC)
@blp.response(200, TestRunSchema)
def run_test_cases(key: str) -> dict[str, Any]:
    """运行流程测试用例（管理员或设计人员）：在隔离的临时数据库中运行，可先测尚未部署的新图"""
    app = container()
    results = process_tests.run_for_process(
        app.db, principal(), key, app.settings, _uploads("files"), _uploads("cases")
    )
    passed = sum(r.passed for r in results)
    return {
        "key": key,
        "passed": passed,
        "failed": len(results) - passed,
        "results": [process_tests.as_json(r) for r in results],
    }
