"""Idempotency-Key (issue 14) on POST instances, task completion and operations, and messages:
the same key with the same request within 24 hours answers the first response again without
doing the work twice; the same key with another request is refused (422).

Keys are per caller. The key is taken (a row "in progress") before the work starts, so a
retry racing the first request is told to wait (409) instead of doing it again; a 5xx answer
releases the key, so the client may retry the work.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import Response, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from service.api.context import container
from service.services.errors import Conflict, Invalid
from service.store.models import IdempotencyRecord
from service.timeutil import utcnow

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
ABANDONED = timedelta(minutes=15)
_COVERED = re.compile(r"^/api/v1/(instances|messages|tasks/[^/]+/[a-z_-]+)$")
_RECORD = "idempotency_record"


def check() -> Response | None:
    """before_request: replay, refuse, or take the key for this request."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST" or not _COVERED.match(request.path):
        return None
    caller = getattr(g, "principal", None)
    if caller is None:
        return None  # not authenticated: the route answers 401
    key = key.strip()
    if not key or len(key) > 200:
        raise Invalid(f"{HEADER} 须为 1 至 200 个字符", errors={HEADER: ["长度不符"]})
    digest = hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.get_data(cache=True)
    ).hexdigest()
    now = utcnow()
    app = container()
    try:
        with app.db.transaction(write=True) as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.principal == caller.username,
                    IdempotencyRecord.key == key,
                    # Past its 24 hours, or "in progress" far longer than a request lasts (its worker died).
                    (IdempotencyRecord.created_at < now - TTL)
                    | (
                        IdempotencyRecord.status_code.is_(None)
                        & (IdempotencyRecord.created_at < now - ABANDONED)
                    ),
                )
            )
            found = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.principal == caller.username, IdempotencyRecord.key == key
                )
            )
            if found is None:
                record = IdempotencyRecord(
                    principal=caller.username, key=key, request_hash=digest, created_at=now
                )
                session.add(record)
                session.flush()
                g.setdefault(_RECORD, record.id)
                return None
    except IntegrityError:
        raise Conflict(f"带同一 {HEADER} 的请求正在处理，请稍后重试") from None
    if found.request_hash != digest:
        raise Invalid(
            f"{HEADER} {key} 已用于另一个请求（地址或内容不同）；新的请求请使用新的键",
            errors={HEADER: ["已用于另一个请求"]},
        )
    if found.status_code is None:
        raise Conflict(f"带同一 {HEADER} 的请求正在处理，请稍后重试")
    replay = Response(found.response_body or "", status=found.status_code, content_type=found.content_type)
    replay.headers["Idempotency-Replayed"] = "true"
    return replay


def store(response: Response) -> Response:
    """after_request: keep the answer for replays (or release the key after a server error)."""
    record_id = g.pop(_RECORD, None)
    if record_id is None:
        return response
    with container().db.transaction(write=True) as session:
        record = session.get(IdempotencyRecord, record_id)
        if record is None:
            return response
        if response.status_code >= 500:
            session.delete(record)
        else:
            record.status_code = response.status_code
            record.response_body = response.get_data(as_text=True)
            record.content_type = response.content_type
    return response
