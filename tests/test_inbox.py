"""The inbox read off its index (issue 16): each open task under each holder whose inbox it is
in, kept by the ORM through claims, completions and cancellations; pages by cursor or number
list every task once, in creation order; totals are counted up to 1,000."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from service.services.pagination import TOTAL_CAP
from service.store.models import InboxEntry, Instance, ProcessDefinition, Task, TaskGrant
from service.timeutil import utcnow
from tests import bpmn
from tests.conftest import assert_problem

BOTH_ROLES = 'camunda:candidateGroups="评委,面试评审组"'


def _deploy(api) -> None:
    document = bpmn.linear("ceshi_daiban", bpmn.user("评审", BOTH_ROLES))
    assert api.deploy(("ceshi_daiban.bpmn", document)).status_code == 201


def _start(api, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        instance_id = api.start("ceshi_daiban").json["id"]
        [task] = api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]
        ids.append(task["id"])
    return ids


def _walk_by_cursor(api, user: str, per_page: int) -> list[str]:
    seen, query = [], {"per_page": per_page}
    while True:
        page = api.get("/api/v1/tasks", user=user, query_string=query).json
        seen += [task["id"] for task in page["items"]]
        if page["next_cursor"] is None:
            return seen
        query = {"per_page": per_page, "after": page["next_cursor"]}


def test_pages_list_every_task_once_in_creation_order_by_cursor_or_by_number(api):
    """pingwei1 holds both roles the task is offered to: each task still comes once."""
    _deploy(api)
    created = _start(api, 25)
    assert _walk_by_cursor(api, "pingwei1", 10) == created
    by_number = []
    for page in (1, 2, 3):
        body = api.get("/api/v1/tasks", user="pingwei1", query_string={"per_page": 10, "page": page}).json
        assert (body["total"], body["total_capped"]) == (25, False)
        by_number += [task["id"] for task in body["items"]]
    assert by_number == created
    assert _walk_by_cursor(api, "pingwei", 7) == created  # one of the two roles
    assert api.inbox("gongzuozu") == []


def test_claims_and_completions_move_a_task_between_inboxes(api, db):
    _deploy(api)
    [task_id] = _start(api, 1)
    assert api.post(f"/api/v1/tasks/{task_id}/claim", user="pingwei1").status_code == 200
    assert [t["id"] for t in api.inbox("pingwei1")] == [task_id]
    assert api.inbox("pingwei2") == []  # claimed by a colleague: no longer offered
    assert api.post(f"/api/v1/tasks/{task_id}/unclaim", user="pingwei1").status_code == 200
    assert [t["id"] for t in api.inbox("pingwei2")] == [task_id]
    assert api.complete(task_id, "pingwei2").status_code == 200
    assert api.inbox("pingwei1") == api.inbox("pingwei2") == []
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboxEntry)) == 0


def test_the_total_stops_counting_at_the_cap(api, db):
    _deploy(api)
    with db.transaction(write=True) as session:
        definition = session.scalars(select(ProcessDefinition)).first()
        instance = Instance(
            id=str(uuid.uuid4()),
            definition_id=definition.id,
            definition_key=definition.key,
            definition_version=definition.version,
            status="running",
            state="{}",
            data={},
            started_by="admin",
            organisation_id=1,
        )
        session.add(instance)
        start = utcnow()
        for n in range(TOTAL_CAP + 5):
            session.add(
                Task(
                    id=str(uuid.uuid4()),
                    instance_id=instance.id,
                    definition_key=definition.key,
                    organisation_id=1,
                    name="S1",
                    title=f"评审 {n}",
                    role="评委",
                    status="open",
                    created_at=start + timedelta(seconds=n),
                    grants=[TaskGrant(kind="role", value="评委", organisation_id=1)],
                )
            )
    body = api.get("/api/v1/tasks", user="pingwei").json
    assert (body["total"], body["total_capped"], len(body["items"])) == (TOTAL_CAP, True, 20)
    assert body["items"][0]["title"] == "评审 0" and body["next_cursor"]
    everything = api.get("/api/v1/tasks").json  # the admin's list, off the tasks table
    assert (everything["total"], everything["total_capped"]) == (TOTAL_CAP, True)


def test_a_cursor_that_was_not_given_out_is_refused(api):
    body = assert_problem(api.get("/api/v1/tasks", user="pingwei", query_string={"after": "不是游标"}), 422)
    assert "next_cursor" in body["detail"]
