from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from service.api.context import container

blp = Blueprint("health", __name__, description="健康检查")


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok：服务和数据库可用"})


@blp.route("/healthz")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """服务与数据库是否可用"""
    with container().db.transaction() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}
