from __future__ import annotations

import logging

from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.api.context import container
from service.services.errors import Unavailable

log = logging.getLogger(__name__)

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


@blp.route("/readyz")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
@blp.alt_response(
    503,
    schema="Problem",
    content_type="application/problem+json",
    description="数据库不可用，本实例暂不接收请求",
    headers={"Retry-After": {"description": "多少秒后可再试", "schema": {"type": "integer"}}},
)
def readyz() -> dict[str, str]:
    """是否可以接收请求：试连数据库，连不上时返回 503（负载均衡据此暂不转发）"""
    try:
        with container().db.transaction() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("readiness: database unavailable: %s", type(error).__name__)
        raise Unavailable("数据库暂时无法连接，本实例暂不接收请求；请检查数据库服务与 DATABASE_URL") from None
    return {"status": "ok"}
