"""GET /metrics: Prometheus text format, for a global admin's token or XUANPIN_METRICS_TOKEN."""

from __future__ import annotations

from flask import Response, g
from flask_smorest import Blueprint

from service import metrics
from service.api.context import container, principal
from service.api.problems import problem_responses
from service.services.authorization import require_metrics_reader

blp = Blueprint("metrics", __name__, description="监控指标")


@blp.route("/metrics")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/plain; version=0.0.4",
    description="Prometheus 文本格式（exposition format 0.0.4）",
)
@problem_responses(blp, 401, 403)
def metrics_text() -> Response:
    """Prometheus 监控指标（请求耗时、任务办理数、待办数、定时器延迟、Webhook 积压、推进耗时）

    需全局管理员的 API 令牌，或设置 `XUANPIN_METRICS_TOKEN` 后以该值作 Bearer 令牌。
    多个 worker 的计数合并后返回（`xuanpin serve` 的多进程模式）。"""
    if not g.get("metrics_token"):
        require_metrics_reader(principal())
    body, content_type = metrics.exposition(container())
    return Response(body, content_type=content_type)
