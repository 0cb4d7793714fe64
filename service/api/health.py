from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import text

from service.api.context import container

blp = Blueprint("health", __name__, description="健康检查")


@blp.route("/healthz")
@blp.doc(security=[])
def healthz() -> dict[str, str]:
    """服务与数据库是否可用"""
    with container().db.transaction() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}
