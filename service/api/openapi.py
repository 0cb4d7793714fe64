"""What the OpenAPI document says a request may carry, as strictly as the service checks it.

The input gate (guard.py) refuses NUL in any text and key, and unknown body fields are
ignored rather than part of the contract; the case data names variables of the diagram. The
marshmallow schemas alone would document "any string, any object", and a client (or a fuzzer)
following the document would be refused. Here the request schemas get those rules once, for
every operation."""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from service.api.schemas import RequestSchema

# ECMA-262 and Python both read \x00; the guard refuses NUL (PostgreSQL text cannot hold it).
NO_NUL = "^[^\\x00]*$"

PLAIN_VALUE_REF = "#/components/schemas/PlainValue"
PLAIN_VALUE: dict[str, Any] = {
    "description": "JSON 值：文本不含 NUL，整数在 64 位范围内，嵌套不超过 64 层",
    "nullable": True,
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": "integer", "minimum": -(2**63 - 1), "maximum": 2**63 - 1},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"$ref": "#/components/schemas/PlainValue"}},
        {
            "type": "object",
            "patternProperties": {NO_NUL: {"$ref": "#/components/schemas/PlainValue"}},
            "additionalProperties": False,
        },
    ],
}


def _is_request(field: fields.Field) -> bool:
    root = getattr(field, "root", None)
    return isinstance(root, RequestSchema) and not field.dump_only


def request_field_attributes(_converter: Any, field: fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    if not _is_request(field):
        return {}
    if isinstance(field, fields.String) and "pattern" not in ret and "enum" not in ret:
        return {"pattern": NO_NUL}
    if isinstance(field, fields.Dict):
        # Key rules as patternProperties: OpenAPI 3.0 has no propertyNames, and generators read
        # patternProperties with additionalProperties false as "only such keys".
        if isinstance(field.value_field, fields.Nested):
            values = ret.get("additionalProperties", {})
        else:
            values = {"$ref": PLAIN_VALUE_REF}
        names = field.metadata.get("names", NO_NUL)
        return {"patternProperties": {names: values}, "additionalProperties": False}
    if type(field) is fields.Raw:
        return {"allOf": [{"$ref": PLAIN_VALUE_REF}]}
    return {}


class RequestContract(BasePlugin):
    """Request bodies list their fields and nothing else (additionalProperties: false)."""

    def schema_helper(self, name: str, _definition: Any, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        if isinstance(schema_class, type) and issubclass(schema_class, RequestSchema):
            return {"additionalProperties": False}
        return None


def register(spec: APISpec, ma_plugin: MarshmallowPlugin) -> None:
    spec.components.schema("PlainValue", PLAIN_VALUE)
    ma_plugin.converter.add_attribute_function(request_field_attributes)
