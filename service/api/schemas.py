"""Request and response shapes of the REST contract (they also generate the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from service.domain.status import InstanceStatus, TaskStatus
from service.services.organisations import code_of
from service.services.tasks import is_overdue
from service.timeutil import to_shanghai

# Case data keys become script variables: an identifier not starting with "_" (the service
# accepts any Python identifier; the OpenAPI document names the portable ASCII ones).
DATA_NAME = "^[A-Za-z][A-Za-z0-9_]*$"

# Column ranges: a query value beyond them would reach the database and fail there.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


class ShanghaiDateTime(fields.DateTime):
    """Stored in UTC, shown in Beijing time with its +08:00 offset."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(to_shanghai(value), attr, obj, **kwargs)


class RequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String(metadata={"description": "错误类别"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "可据此采取行动的说明"})
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), metadata={"description": "字段 → 错误信息"}
    )


class TokenRequestSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200), load_only=True)


class TokenResponseSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "有效期（秒）"})


class DeployedSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    created = fields.Boolean(metadata={"description": "false 表示内容未变，未产生新版本"})


class DefinitionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    content_hash = fields.String()
    bpmn_filename = fields.String()
    forms = fields.Method("_form_keys", metadata={"description": "本版本使用的表单 key"})
    created_at = ShanghaiDateTime()

    def _form_keys(self, obj: Any) -> list[str]:
        forms = obj.get("forms") if isinstance(obj, dict) else obj.forms
        return sorted(forms or {})


class VersionSchema(DefinitionSchema):
    deployed_by = fields.String(metadata={"description": "部署人"})
    deployment_name = fields.String(metadata={"description": "部署名称"})
    running = fields.Integer(metadata={"description": "该版本尚未结束的实例数"})


class DefinitionVersionsSchema(Schema):
    key = fields.String()
    name = fields.String()
    versions = fields.List(fields.Nested(VersionSchema))


class DiffQuerySchema(RequestSchema):
    from_version = fields.Integer(
        required=True, data_key="from", validate=validate.Range(min=1, max=INT32_MAX)
    )
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1, max=INT32_MAX))


class ElementChangeSchema(Schema):
    element_id = fields.String()
    kind = fields.String(metadata={"description": "元素类型，如「用户任务」"})
    name = fields.String()
    change = fields.String(metadata={"description": "added 新增 / removed 删除 / changed 修改"})
    details = fields.List(fields.String(), metadata={"description": "修改了什么，如「候选角色：A → B」"})


class FormChangeSchema(Schema):
    form_key = fields.String()
    change = fields.String()
    details = fields.List(fields.String())


class VersionDiffSchema(Schema):
    key = fields.String()
    from_version = fields.Integer(data_key="from")
    to_version = fields.Integer(data_key="to")
    elements = fields.List(fields.Nested(ElementChangeSchema))
    forms = fields.List(fields.Nested(FormChangeSchema))


class XmlQuerySchema(RequestSchema):
    version = fields.Integer(validate=validate.Range(min=1, max=INT32_MAX))


# A username as the operations take it (转办 to, 加签 whom).
USERNAME = validate.Length(min=1, max=100)


def comment_field(description: str = "说明或理由") -> fields.String:
    """The optional comment every task operation takes."""
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": description},
    )


class PageQuerySchema(RequestSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class InstanceCreateSchema(RequestSchema):
    definition_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    data = fields.Dict(load_default=dict, keys=fields.String(), metadata={"names": DATA_NAME})
    source_instance_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=36),
        metadata={
            "description": "来源实例：新实例发起时带入该实例（须有权查看）的只读快照 laiyuan_shili，"
            "如从已核准的年度用工计划发起岗位招聘（FH-01）"
        },
    )
    organisation = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={
            "description": "实例所属机构的代码（须是您可在其中发起该流程的机构）；不填即本人所在机构。"
            "各任务交给从该机构向上最近的、有该角色人员的机构"
        },
    )


class InstanceSchema(Schema):
    id = fields.String()
    definition_key = fields.String()
    version = fields.Integer(attribute="definition_version")
    business_key = fields.String(allow_none=True)
    status = fields.String(
        metadata={
            "description": "running 运行中 / completed 已结束 / error 出错待处理 / suspended 已挂起 / "
            "cancelled 已撤销",
            "enum": [status.value for status in InstanceStatus],
        }
    )
    started_by = fields.String()
    organisation = fields.Method("_organisation", metadata={"description": "所属机构的代码"})
    created_at = ShanghaiDateTime()
    updated_at = ShanghaiDateTime()
    completed_at = ShanghaiDateTime(allow_none=True)

    def _organisation(self, obj: Any) -> str | None:
        return _organisation_code(obj)


class InstanceQuerySchema(PageQuerySchema):
    definition_key = fields.String()
    organisation = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "机构代码：只列出该机构及其下属机构的实例（仍以本人可见为限）"},
    )
    status = fields.String(validate=validate.OneOf([status.value for status in InstanceStatus]))
    business_key = fields.String()


def _organisation_code(obj: Any) -> str | None:
    organisation_id = obj.get("organisation_id") if isinstance(obj, Mapping) else obj.organisation_id
    return code_of(current_app.extensions["xuanpin"].db, organisation_id)


class TaskSchema(Schema):
    id = fields.String()
    name = fields.String(metadata={"description": "BPMN 元素 id"})
    title = fields.String(metadata={"description": "任务名称"})
    role = fields.String(allow_none=True)
    candidate_roles = fields.List(fields.String())
    candidate_users = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    instance_id = fields.String()
    definition_key = fields.String()
    business_key = fields.String(allow_none=True)
    organisation = fields.Method("_organisation", metadata={"description": "流程实例所属机构的代码"})
    form_key = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": [status.value for status in TaskStatus]})
    created_at = ShanghaiDateTime()
    due_at = ShanghaiDateTime(allow_none=True)
    due_provisional = fields.Boolean(
        metadata={"description": "期限按无官方数据的年份（仅周末）推算，待日历补录后自动重算"}
    )
    overdue = fields.Method("_overdue", metadata={"description": "已超过办理期限"})
    completed_at = ShanghaiDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    owner = fields.String(allow_none=True, metadata={"description": "委派人（任务所有人）；未委派为 null"})
    delegation = fields.String(
        allow_none=True, metadata={"description": "pending 委派办理中 / resolved 已交回所有人；未委派为 null"}
    )

    def _organisation(self, obj: Any) -> str | None:
        return _organisation_code(obj)

    def _overdue(self, obj: Any) -> bool:
        # The list dumps Task rows, the detail a dict of their fields (raw_fields): read both,
        # or the detail says false where the list says true.
        if isinstance(obj, Mapping):
            return is_overdue(obj.get("due_at"), obj.get("status"))
        return is_overdue(getattr(obj, "due_at", None), getattr(obj, "status", None))


class TaskDetailSchema(TaskSchema):
    documentation = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "表单的 JSON Schema"})
    data = fields.Dict(
        metadata={
            "description": "表单字段的当前值（已办结任务为提交的数据）；"
            "表单未声明 x-xuanpin-context 时为任务全部数据"
        }
    )
    context = fields.Dict(metadata={"description": "表单声明的只读背景信息（x-xuanpin-context 所列变量）"})


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer(metadata={"description": "总数；超过 1000 时只报 1000，并以 total_capped 标明"})
    total_capped = fields.Boolean(metadata={"description": "true：实际总数超过 total（计数到 1000 为止）"})
    page = fields.Integer()
    per_page = fields.Integer()
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "待办列表的下一页游标：作为 after 传回即得下一页（无下一页时为 null）"},
    )


class InstancePageSchema(Schema):
    items = fields.List(fields.Nested(InstanceSchema))
    total = fields.Integer(metadata={"description": "总数；超过 1000 时只报 1000，并以 total_capped 标明"})
    total_capped = fields.Boolean(metadata={"description": "true：实际总数超过 total（计数到 1000 为止）"})
    page = fields.Integer()
    per_page = fields.Integer()


class StepSchema(Schema):
    id = fields.String()
    name = fields.String()
    title = fields.String()
    kind = fields.String()
    completed_at = ShanghaiDateTime(allow_none=True)


class TimerSchema(Schema):
    element_id = fields.String()
    title = fields.String()
    kind = fields.String(metadata={"description": "date 定时 / duration 时长 / cycle 循环"})
    due_at = ShanghaiDateTime()
    provisional = fields.Boolean()
    status = fields.String()


class InstanceDetailSchema(InstanceSchema):
    data = fields.Dict()
    error = fields.String(
        allow_none=True,
        metadata={"description": "出错的原因；已撤销或已挂起的实例为撤销或挂起的原因"},
    )
    timers = fields.List(fields.Nested(TimerSchema), metadata={"description": "等待中的定时器"})
    open_tasks = fields.List(fields.Nested(TaskSchema))
    completed_steps = fields.List(fields.Nested(StepSchema))


class TaskQuerySchema(PageQuerySchema):
    overdue = fields.Boolean(metadata={"description": "true：只列出已超期的待办"})
    role = fields.String()
    assignee = fields.String(metadata={"description": "me 表示当前用户"})
    instance_id = fields.String()
    status = fields.String(
        load_default=TaskStatus.OPEN.value, validate=validate.OneOf([status.value for status in TaskStatus])
    )
    after = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={"description": "游标分页：上一页返回的 next_cursor；给出时忽略 page，深翻页不变慢"},
    )


class CompleteSchema(RequestSchema):
    data = fields.Dict(load_default=dict, keys=fields.String(), metadata={"names": DATA_NAME})

    @pre_load
    def fields_belong_in_data(self, body: Any, **_kwargs: Any) -> Any:
        # A form posted bare ({"xingming": …}) would otherwise be dropped as unknown and then
        # reported as missing every required field.
        if isinstance(body, dict) and "data" not in body:
            stray = sorted(str(key) for key in body if key not in self.fields)
            if stray:
                raise ValidationError(
                    f'表单字段须放在 data 中提交，如 {{"data": {{"{stray[0]}": …}}}}', "data"
                )
        return body


class CompletionSchema(Schema):
    instance = fields.Nested(InstanceSchema)
    status = fields.String(metadata={"description": "实例状态"})
    open_tasks = fields.List(fields.Nested(TaskSchema))


def raw_fields(obj: Any, schema: type[Schema]) -> dict[str, Any]:
    """The attributes a schema reads from obj, so a route can extend them before dumping."""
    values = {}
    for name, field in schema().fields.items():
        attribute = field.attribute or name
        if hasattr(obj, attribute):
            values[attribute] = getattr(obj, attribute)
    return values


class TestDifferenceSchema(Schema):
    path = fields.String()
    expected = fields.Raw(allow_none=True)
    actual = fields.Raw(allow_none=True)


class TestFailureSchema(Schema):
    step = fields.Integer(
        allow_none=True, metadata={"description": "第几步（从 1 起）；0 为启动，null 为最终结果"}
    )
    label = fields.String()
    message = fields.String()
    differences = fields.List(fields.Nested(TestDifferenceSchema))


class TestCaseResultSchema(Schema):
    name = fields.String()
    file = fields.String()
    process = fields.String()
    passed = fields.Boolean()
    path = fields.List(fields.String(), metadata={"description": "按顺序办理完成的用户任务"})
    ends = fields.List(fields.String(), metadata={"description": "到达的结束事件"})
    status = fields.String()
    open_tasks = fields.List(fields.String())
    failure = fields.Nested(TestFailureSchema, allow_none=True)


class TestRunSchema(Schema):
    key = fields.String()
    passed = fields.Integer()
    failed = fields.Integer()
    results = fields.List(fields.Nested(TestCaseResultSchema))
