"""Errors a use case raises; the API turns each into application/problem+json."""

from __future__ import annotations

from service.domain.plain_data import LimitExceeded
from service.engine.errors import ExecutionError, RuleRefused


class ServiceError(Exception):
    status = 400
    title = "请求无效"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class Unauthorized(ServiceError):
    status = 401
    title = "未登录或令牌无效"


class Forbidden(ServiceError):
    status = 403
    title = "无权执行此操作"


class NotFound(ServiceError):
    status = 404
    title = "资源不存在"


class Conflict(ServiceError):
    status = 409
    title = "状态冲突"


class TooManyRequests(ServiceError):
    """Refused for a while (login throttling); the client may retry after `retry_after` seconds."""

    status = 429
    title = "请求过于频繁"

    def __init__(self, detail: str, retry_after: int, **extra: object) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """The service cannot answer now (its database is unreachable); the client retries later."""

    status = 503
    title = "服务暂不可用"
    retry_after = 5


class Invalid(ServiceError):
    status = 422
    title = "数据校验未通过"


class Refused(ServiceError):
    """A rule of the procedure says no (not eligible, not on the list, window closed): the
    person can act on the message; nothing was saved."""

    status = 422
    title = "不符合规定，未予办理"


def refused(error: RuleRefused) -> Refused:
    errors = {error.field: [error.message]} if error.field else None
    return Refused(
        f"{error.message}（本次提交未保存，请修改后重新提交）", errors=errors, element_id=error.element_id
    )


class DataTooLarge(ExecutionError):
    """A case's data would exceed its configured size. A start or a completion is refused with
    it (nothing saved); a timer's instance is marked in error like any execution error."""

    def __init__(self, exceeded: LimitExceeded) -> None:
        super().__init__(f"流程数据过大：{exceeded.message}（上限由 {exceeded.setting} 设定）")
        self.exceeded = exceeded


def too_large(exceeded: LimitExceeded, field: str = "data") -> Invalid:
    error = DataTooLarge(exceeded)
    return Invalid(
        error.message, errors={field: [exceeded.message]}, limit=exceeded.setting, max=exceeded.limit
    )
