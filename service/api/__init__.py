"""REST API: flask-smorest blueprints, bearer authentication and problem+json errors."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from service.api import (
    account_operations,
    audit,
    auth,
    calendar,
    case_operations,
    definitions,
    engine_rest,
    events,
    files,
    guard,
    health,
    idempotency,
    instances,
    integration,
    me,
    messages,
    metrics,
    observe,
    openapi,
    organisations,
    problems,
    reports,
    signers,
    task_operations,
    task_return,
    tasks,
    tokens,
    users,
)
from service.api.context import authenticate_request

API_TITLE = "选聘流 Xuanpin Flow API"


class XuanpinApi(Api):
    # Every operation lists its own error answers (problems.ErrorResponses) instead of a
    # catch-all "default", so an undocumented status is a finding, not a silent pass.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        problems.register(self._app)

    def _register_responses(self) -> None:
        problems.register_responses(self.spec)


def init_api(app: Flask) -> Api:
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served from our own origin (npm's swagger-ui-dist, vendored by `make`): no CDN, so the
        # page works on an intranet without internet access.
        OPENAPI_SWAGGER_UI_URL="/assets/vendor/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "国有企业人员选聘流程服务：部署 BPMN、发起实例、各角色待办。"
                    "所有错误以 application/problem+json 返回。"
                )
            },
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"bearerAuth": []}],
        },
    )
    api = XuanpinApi(
        app, spec_kwargs={"extra_plugins": [problems.ErrorResponses(), openapi.RequestContract()]}
    )
    openapi.register(api.spec, api.ma_plugin)
    for module in (
        health,
        auth,
        me,
        users,
        tokens,
        organisations,
        definitions,
        instances,
        tasks,
        task_operations,
        signers,
        task_return,
        files,
        calendar,
        reports,
        events,
        audit,
        engine_rest,
        case_operations,
        account_operations,
        messages,
        integration,
        metrics,
    ):
        api.register_blueprint(module.blp)
    observe.register(app, json_logs=app.extensions["xuanpin"].settings.log_format == "json")
    app.before_request(authenticate_request)
    app.before_request(observe.identified)
    app.before_request(files.allow_upload_size)  # before the gate reads an upload's form
    # After authentication (a stranger's body is not worth parsing), before any route.
    app.before_request(guard.check_request)
    # Last: only a well-formed request of a known caller takes an Idempotency-Key.
    app.before_request(idempotency.check)
    app.after_request(idempotency.store)
    return api
