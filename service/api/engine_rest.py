"""The part of Camunda 7's REST API that Camunda Modeler uses, so its Deploy and Start Instance
buttons work against us (endpoint URL `http://<host>/engine-rest`, an API token as Bearer, or as
the password of HTTP Basic with the account's username).

Modeler 5 probes `GET /version` and `GET /deployment?maxResults=0`, deploys with a multipart
`POST /deployment/create` (`deployment-name`, `deployment-source`, `enable-duplicate-filtering`
or `deploy-changed-only`, `tenant-id`, then each file under its own name) and reads `id`,
`deployedProcessDefinitions` and, on failure, `message`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.problems import problem
from service.api.schemas import DATA_NAME, RequestSchema
from service.engine.parser import SourceFile
from service.services import definitions, instances
from service.services.errors import Invalid, NotFound, ServiceError
from service.timeutil import to_shanghai

blp = Blueprint(
    "engine_rest",
    __name__,
    url_prefix="/engine-rest",
    description="Camunda 7 兼容接口（供 Camunda Modeler 部署与发起）",
)
# The Camunda 7 REST version whose deployment and start contracts these endpoints follow.
CAMUNDA_REST_VERSION = "7.22.0"
# Camunda Modeler recognises a parse error by this prefix and shows the rest as the problem.
PARSE_ERROR = "ENGINE-09005 Could not parse BPMN process. "
_FIELDS = {
    "deployment-name",
    "deployment-source",
    "deploy-changed-only",
    "enable-duplicate-filtering",
    "tenant-id",
}


class EngineVersionSchema(Schema):
    version = fields.String()


class DeploymentQuerySchema(Schema):
    maxResults = fields.Integer(load_default=50, validate=validate.Range(min=0, max=500))
    firstResult = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000))


class DeploymentSchema(Schema):
    id = fields.String()
    name = fields.String()
    source = fields.String(allow_none=True)
    deploymentTime = fields.String(allow_none=True)
    tenantId = fields.String(allow_none=True)
    links = fields.List(fields.Dict())


class TypedVariableSchema(RequestSchema):
    value = fields.Raw(allow_none=True)
    type = fields.String(metadata={"description": "Camunda 变量类型，如 String、Long、Boolean；只取 value"})
    valueInfo = fields.Dict()


class StartSchema(RequestSchema):
    businessKey = fields.String(load_default=None, allow_none=True)
    variables = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(TypedVariableSchema),
        load_default=dict,
        metadata={"names": DATA_NAME},
    )


@blp.errorhandler(ServiceError)
def camunda_error(error: ServiceError) -> Response:
    """problem+json as everywhere, plus the `message` Camunda clients read (with the prefix by
    which Camunda Modeler recognises a diagram it should show as not parseable)."""
    unparseable = "file" in error.extra or "element_id" in error.extra
    return problem(
        error.status,
        error.detail,
        title=error.title,
        errors=error.errors,
        message=(PARSE_ERROR if unparseable else "") + error.detail,
        **error.extra,
    )


@blp.route("/version")
@blp.response(200, EngineVersionSchema)
def version() -> dict[str, str]:
    """Camunda Modeler 检查连接时读取的版本号"""
    return {"version": CAMUNDA_REST_VERSION}


@blp.route("/deployment")
@blp.arguments(DeploymentQuerySchema, location="query")
@blp.response(200, DeploymentSchema(many=True))
def list_deployments(query: dict[str, Any]) -> Any:
    """最近的部署（Camunda DeploymentDto 列表）"""
    rows = definitions.recent_deployments(container().db, query["firstResult"], query["maxResults"])
    return [_deployment(row.id, row.name, row.source, row.created_at) for row in rows]


@blp.route("/deployment/create", methods=["POST"])
@blp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "deployment-name": {"type": "string", "pattern": "\\S"},
                        "deployment-source": {"type": "string"},
                    },
                    "required": ["deployment-name"],
                    "additionalProperties": {"type": "string", "format": "binary"},
                    "description": "部署名称，以及每个文件一个字段（字段名任意，一般为文件名）",
                }
            }
        },
    }
)
def create_deployment() -> Any:
    """部署（Camunda Modeler 的 Deploy 按钮）：每个文件以其文件名为字段名；只有内容变化的流程产生新版本"""
    files = [
        SourceFile((upload.filename or field).replace("\\", "/").rsplit("/", 1)[-1], upload.read())
        for field, upload in request.files.items(multi=True)
        if field not in _FIELDS
    ]
    name = request.form.get("deployment-name", "").strip()
    if not name:
        raise Invalid("请填写部署名称（deployment-name）", errors={"deployment-name": ["必填项"]})
    app = container()
    deployed = definitions.deploy(
        app.db,
        principal(),
        files,
        app.settings.designer_roles,
        name=name,
        source=request.form.get("deployment-source", "")[:100],
        observer_roles=app.settings.observer_roles,
    )
    created = [d for d in deployed if d.created] or deployed
    deployment_id = next((d.deployment_id for d in created if d.deployment_id is not None), None)
    row = definitions.deployment(app.db, deployment_id) if deployment_id is not None else None
    filenames = definitions.bpmn_filenames(app.db, [d.definition_id for d in created])
    return {
        **_deployment(
            deployment_id,
            row.name if row else name,
            row.source if row else "",
            row.created_at if row else None,
        ),
        "deployedProcessDefinitions": {
            _definition_id(d.key, d.version, d.definition_id): {
                "id": _definition_id(d.key, d.version, d.definition_id),
                "key": d.key,
                "category": "http://bpmn.io/schema/bpmn",
                "description": None,
                "name": d.name,
                "version": d.version,
                "resource": filenames.get(d.definition_id),
                "deploymentId": str(d.deployment_id) if d.deployment_id is not None else None,
                "diagram": None,
                "suspended": False,
                "tenantId": None,
                "versionTag": None,
                "historyTimeToLive": None,
                "startableInTasklist": True,
            }
            for d in created
        },
        "deployedCaseDefinitions": None,
        "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    }


@blp.route("/process-definition/<string:definition_id>/start", methods=["POST"])
@blp.arguments(StartSchema)
def start_by_id(body: dict[str, Any], definition_id: str) -> Any:
    """发起实例（Camunda Modeler 的 Start Instance 按钮）；id 为 部署时返回的 key:version:id"""
    key = definition_id.split(":", 1)[0]
    return _start(key, body)


@blp.route("/process-definition/key/<string:key>/start", methods=["POST"])
@blp.arguments(StartSchema)
def start_by_key(body: dict[str, Any], key: str) -> Any:
    """按流程 key 发起最新版本的实例"""
    return _start(key, body)


def _start(key: str, body: dict[str, Any]) -> dict[str, Any]:
    # Camunda typed variables {"name": {"value": …, "type": "String"}} become plain data.
    data = {name: typed.get("value") for name, typed in body["variables"].items()}
    instance = instances.start(container(), principal(), key, body.get("businessKey"), data)
    return {
        "id": instance.id,
        "definitionId": _definition_id(
            instance.definition_key, instance.definition_version, instance.definition_id
        ),
        "businessKey": instance.business_key,
        "caseInstanceId": None,
        "ended": instance.status == "completed",
        "suspended": False,
        "tenantId": None,
        "links": [
            {
                "method": "GET",
                "href": url_for("instances.get_instance", instance_id=instance.id),
                "rel": "self",
            }
        ],
    }


def _definition_id(key: str, version: int, row_id: int) -> str:
    return f"{key}:{version}:{row_id}"


def _deployment(deployment_id: int | None, name: str, source: str, created_at: Any) -> dict[str, Any]:
    if deployment_id is None:
        raise NotFound("没有找到部署")
    time = to_shanghai(created_at)
    return {
        "id": str(deployment_id),
        "name": name,
        "source": source or None,
        "deploymentTime": time.isoformat(timespec="milliseconds") if time else None,
        "tenantId": None,
        "links": [],
    }
