"""泛微 e-cology 统一待办 (unified to-do): the ReceiveRequestInfoByJson request per to-do change.

e-cology keeps one to-do per (flowid, receiver) and keeps the update with the greatest
`receivets`, so a late, older update never overwrites a newer one: receivets is our version.
isremark: 0 待办 (to do), 2 已办 (done), 4 办结 (done, the case has ended), 8 抄送 (待阅, cc);
viewtype: 0 unread, 1 read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from service.timeutil import SHANGHAI

# Reminders change no to-do: resending one with its old receivets would be a stale update.
_NO_CHANGE = ("task.urged", "task.overdue")


def requests(event: dict[str, Any], options: dict[str, Any]) -> list[dict[str, str]]:
    """The ReceiveRequestInfoByJson bodies for the to-dos an event changed (none: nothing to send)."""
    if event.get("type") in _NO_CHANGE:
        return []
    return [_request(todo, options) for todo in (event.get("data") or {}).get("todos") or []]


def _request(todo: dict[str, Any], options: dict[str, Any]) -> dict[str, str]:
    if todo["kind"] == "cc":
        isremark = "8"
    elif todo["state"] == "pending":
        isremark = "0"
    else:
        isremark = "4" if todo.get("finished") else "2"
    viewtype = "1" if todo.get("viewed") or isremark in ("2", "4") else "0"
    return {
        "syscode": str(options["syscode"]),
        "flowid": todo["task_id"],
        "requestname": todo["title"],
        "workflowname": todo["process_name"],
        "nodename": todo["step_name"],
        "pcurl": todo["pc_url"],
        "appurl": todo["app_url"],
        "isremark": isremark,
        "viewtype": viewtype,
        "creator": todo["creator_oa_id"],
        "createdatetime": _datetime(todo["created_at"]),
        "receiver": todo["receiver_oa_id"],
        "receivedatetime": _datetime(todo["received_at"]),
        "receivets": str(todo["version"]),
    }


def _datetime(value: str) -> str:
    """e-cology wants "yyyy-MM-dd HH:mm:ss" in local (Beijing) time."""
    return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def refusal(answer: str) -> str | None:
    """e-cology answers 200 with {"operResult": "1"} on success; another value is a refusal."""
    try:
        body = json.loads(answer)
    except ValueError:
        return None
    if isinstance(body, dict) and "operResult" in body and str(body["operResult"]) != "1":
        return f"e-cology 拒绝：{body.get('message') or body}"[:1000]
    return None
