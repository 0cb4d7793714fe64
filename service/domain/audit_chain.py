"""The audit trail's hash chain (X-01, JB-18): each event's hash covers its fields and the hashes
of the event before it, globally and within its case, so an edited, removed or inserted event
breaks the chain at a position anyone can recompute.

The format is a persistent contract: events already stored were hashed with it. Changing it
means a new chain format that verifies old events with this one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

# The "previous hash" of the first event of the chain, and of the first event of each case.
GENESIS = "0" * 64


def canonical(fields: Mapping[str, Any]) -> bytes:
    """One byte sequence per value: sorted keys, no spaces, UTF-8 (Chinese kept as is)."""
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def normalised_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The detail as the JSON column gives it back (dates as text, keys as strings), so the hash
    computed before the insert is the hash recomputed from the stored row."""
    return json.loads(json.dumps(dict(detail), ensure_ascii=False, default=str))


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    instance_id: str | None,
    task_id: str | None,
    detail: Mapping[str, Any],
    prev_hash: str,
    instance_prev_hash: str | None,
) -> str:
    """SHA-256 (hex) of the canonical JSON of the event's fields and both previous hashes."""
    fields = {
        "seq": seq,
        "at": timestamp(at),
        "actor": actor,
        "action": action,
        "instance_id": instance_id,
        "task_id": task_id,
        "detail": detail,
        "prev_hash": prev_hash,
        "instance_prev_hash": instance_prev_hash,
    }
    return hashlib.sha256(canonical(fields)).hexdigest()
