"""Per-request bookkeeping: the request id, the latency histogram and (JSON logs) an access line."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from service import logs, metrics

access_log = logging.getLogger("xuanpin.access")

# A client's request id is kept only if it is a plain token: it is printed into every line.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def begin() -> None:
    g.began = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
    g.log_tokens = [logs.request_id.set(g.request_id), logs.actor.set(None), logs.instance_id.set(None)]
    # A route's own case (…/instances/<instance_id>/…) names the lines before any advance does.
    if request.view_args and isinstance(request.view_args.get("instance_id"), str):
        logs.instance_id.set(request.view_args["instance_id"])


def identified() -> None:
    """After authentication: lines from here on name the caller."""
    who = g.get("principal")
    if who is not None:
        logs.actor.set(who.username)


def finish(response: Response) -> Response:
    began = g.get("began")
    if began is None:
        return response
    seconds = time.perf_counter() - began
    # The URL rule, not the path: ids in paths would make a series per task.
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    metrics.observe_request(request.method, route, response.status_code, seconds)
    response.headers["X-Request-Id"] = g.request_id
    if g.get("json_access_log"):
        identified()  # the web pages authenticate inside the view
        access_log.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "method": request.method,
                "route": route,
                "path": request.path,  # never the query string: tokens may travel there
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
    return response


def teardown(_error: BaseException | None) -> None:
    for var, token in zip(
        (logs.request_id, logs.actor, logs.instance_id), g.pop("log_tokens", []), strict=False
    ):
        try:
            var.reset(token)
        except ValueError:  # set in another context (a test client's nested request): harmless
            var.set(None)


def register(app: Flask, json_logs: bool) -> None:
    def begin_here() -> None:
        begin()
        g.json_access_log = json_logs

    # First of all before_request functions, so the time and the id cover authentication too.
    app.before_request_funcs.setdefault(None, []).insert(0, begin_here)
    app.after_request(finish)
    app.teardown_request(teardown)
