"""加签 / 减签 (issue 10) through the HTTP API: before, after and parallel signers, a
disagreement, 减签 before and after signing, the observer's refusals (X-01), the signer's list and
the audit rows in the case's history; plus the plain rule of service/domain/signers.py."""

from __future__ import annotations

import pytest

from service.domain.signers import (
    Position,
    Signer,
    SignerStatus,
    removal_refusal,
    sign_refusal,
    step_complete,
    submit_refusal,
)
from tests import bpmn
from tests.conftest import assert_problem

OFFICE = "企业人事"
GROUP = "区属集团"


@pytest.fixture()
def signing(api):
    diagram = bpmn.linear(
        "signers_test",
        bpmn.user("审核", f'camunda:candidateGroups="{OFFICE}"'),
        bpmn.user("复核", f'camunda:candidateGroups="{GROUP}"'),
        attrs=f'camunda:candidateStarterGroups="{OFFICE}"',
    )
    deployed = api.deploy(("signers_test.bpmn", diagram))
    assert deployed.status_code == 201, deployed.json
    return api


def _start(api):
    started = api.start("signers_test", user="renshi")
    assert started.status_code == 201, started.json
    [task] = api.inbox("renshi", instance_id=started.json["id"])
    return started.json["id"], task["id"]


def _add(api, task_id, users, position, user="renshi", comment=None):
    return api.post(
        f"/api/v1/tasks/{task_id}/add-signers",
        user=user,
        json={"users": users, "position": position, "comment": comment},
    )


def _sign(api, task_id, user, agree=True, comment=None):
    return api.post(f"/api/v1/tasks/{task_id}/sign", user=user, json={"agree": agree, "comment": comment})


def _signers(api, task_id, user="renshi"):
    response = api.get(f"/api/v1/tasks/{task_id}/signers", user=user)
    assert response.status_code == 200, response.json
    return {item["username"]: item for item in response.json["items"]}


def _open_titles(response):
    return [t["title"] for t in response.json["open_tasks"]]


def _history(api, instance_id):
    response = api.get(f"/api/v1/instances/{instance_id}/history", user="admin")
    assert response.status_code == 200, response.json
    return response.json["events"]


def _inbox_ids(api, user):
    return [t["id"] for t in api.inbox(user)]


def test_before_signers_sign_first_and_the_holder_is_refused_until_then(signing):
    """前加签: the holder's complete answers 409 naming who still has to sign; the signer reads the
    task read-only, has it in GET /signoffs and not in GET /tasks; once signed the holder completes."""
    api = signing
    instance_id, task_id = _start(api)
    added = _add(api, task_id, ["guozi"], "before", comment="请国资中心先把关")
    assert added.status_code == 200, added.json
    assert added.json["signers"][0]["status"] == "pending" and added.json["task"]["assignee"] == "renshi"

    refused = assert_problem(api.complete(task_id, "renshi", note="x"), 409)
    assert "guozi" in refused["detail"] and "前加签" in refused["detail"]

    # The signer reads it, has it to sign, but not in the inbox of tasks to do.
    assert api.get(f"/api/v1/tasks/{task_id}", user="guozi").status_code == 200
    assert task_id not in _inbox_ids(api, "guozi")
    todo = api.get("/api/v1/signoffs", user="guozi", query_string={"status": "open"})
    assert todo.status_code == 200 and [i["task_id"] for i in todo.json["items"]] == [task_id]
    assert todo.json["items"][0]["can_sign_now"] is True and todo.json["total"] == 1
    # Read-only: the signer cannot complete the task.
    assert_problem(api.complete(task_id, "guozi"), 403)

    signed = _sign(api, task_id, "guozi", comment="同意")
    assert signed.status_code == 200, signed.json
    assert _open_titles(signed) == ["审核"]  # a before-signature never completes the step itself
    assert_problem(_sign(api, task_id, "guozi"), 409)  # once

    done = api.complete(task_id, "renshi", note="x")
    assert done.status_code == 200, done.json
    assert _open_titles(done) == ["复核"]
    finished = api.get("/api/v1/signoffs", user="guozi", query_string={"status": "done"})
    assert [i["status"] for i in finished.json["items"]] == ["agreed"]
    assert api.get("/api/v1/signoffs", user="guozi", query_string={"status": "open"}).json["total"] == 0

    events = {e["action"]: e for e in _history(api, instance_id)}
    assert events["task.signers_added"]["action_label"] == "加签"
    assert "前加签" in events["task.signers_added"]["summary"]
    assert events["task.signed"]["action_label"] == "加签人签署"
    assert "同意" in events["task.signed"]["summary"]


def test_after_signers_sign_after_the_submission_and_the_step_completes_with_the_holders_data(signing):
    """后加签: the holder's complete validates and keeps the data, the task leaves the holder's
    inbox; the engine step completes only when the signer signs, with the holder's data, recorded
    as completed by the holder."""
    api = signing
    instance_id, task_id = _start(api)
    assert _add(api, task_id, ["guozi"], "after").status_code == 200
    early = assert_problem(_sign(api, task_id, "guozi"), 409)
    assert "提交后" in early["detail"]
    assert api.get("/api/v1/signoffs", user="guozi").json["items"][0]["can_sign_now"] is False

    kept = api.complete(task_id, "renshi", opinion="拟同意")
    assert kept.status_code == 200, kept.json
    assert _open_titles(kept) == ["审核"]
    assert task_id not in _inbox_ids(api, "renshi")
    assert task_id not in [t["id"] for t in api.inbox("renshi", instance_id=instance_id)]
    again = assert_problem(api.complete(task_id, "renshi", opinion="改"), 409)
    assert "等待加签人" in again["detail"]
    assert_problem(api.post(f"/api/v1/tasks/{task_id}/unclaim", user="renshi"), 409)
    # Handed on or sent back now, it would complete in another's name with this holder's data.
    for operation, body in (("transfer", {"to_user": "renshi2"}), ("delegate", {"to_user": "renshi2"})):
        refused = assert_problem(
            api.post(f"/api/v1/tasks/{task_id}/{operation}", user="renshi", json=body), 409
        )
        assert "等待加签人签署" in refused["detail"]

    # The signer reads what they sign off: the holder's kept submission.
    assert api.get(f"/api/v1/tasks/{task_id}", user="guozi").json["data"]["opinion"] == "拟同意"
    signed = _sign(api, task_id, "guozi", comment="无异议")
    assert signed.status_code == 200, signed.json
    assert _open_titles(signed) == ["复核"]
    task = api.get(f"/api/v1/tasks/{task_id}", user="renshi").json
    assert task["status"] == "completed" and task["completed_by"] == "renshi"
    assert task["data"]["opinion"] == "拟同意"
    instance = api.get(f"/api/v1/instances/{instance_id}", user="admin").json
    assert instance["data"]["opinion"] == "拟同意"

    events = _history(api, instance_id)
    actions = [e["action"] for e in events]
    assert actions.index("task.submitted_for_signoff") < actions.index("task.signed")
    [completed] = [e for e in events if e["action"] == "task.completed"]
    assert completed["actor"] == "renshi" and completed["detail"]["signed_off_by"] == "guozi"
    assert actions.index("task.signed") < actions.index("task.completed")


def test_parallel_signers_sign_any_time_and_the_step_completes_with_the_last(signing):
    """并加签: one signs before the submission, one after; the step completes with the last."""
    api = signing
    _instance_id, task_id = _start(api)
    assert _add(api, task_id, ["guozi", "jituan"], "parallel").status_code == 200
    assert _sign(api, task_id, "guozi").status_code == 200
    kept = api.complete(task_id, "renshi", opinion="拟同意")
    assert kept.status_code == 200 and _open_titles(kept) == ["审核"]
    assert task_id not in _inbox_ids(api, "renshi")
    last = _sign(api, task_id, "jituan")
    assert last.status_code == 200 and _open_titles(last) == ["复核"]
    assert {s["status"] for s in last.json["signers"]} == {"agreed"}

    # All parallel signers already agreed: the holder's submission completes the step at once.
    _instance_id, second = _start(api)
    assert _add(api, second, ["guozi"], "parallel").status_code == 200
    assert _sign(api, second, "guozi").status_code == 200
    assert _open_titles(api.complete(second, "renshi")) == ["复核"]


def test_a_disagreement_gives_the_task_back_and_the_holder_removes_the_signer(signing):
    """不同意: the step does not complete; the task is back in the holder's inbox with the kept data
    prefilled and the opinion; the holder may not complete while it stands, removes the dissenter
    (减签, the opinion stays on record) and submits again."""
    api = signing
    instance_id, task_id = _start(api)
    assert _add(api, task_id, ["guozi", "jituan"], "after").status_code == 200
    assert api.complete(task_id, "renshi", opinion="拟同意").status_code == 200
    assert_problem(_sign(api, task_id, "guozi", agree=False), 422)  # a reason is required
    against = _sign(api, task_id, "guozi", agree=False, comment="材料不全")
    assert against.status_code == 200, against.json
    assert _open_titles(against) == ["审核"]
    assert task_id in _inbox_ids(api, "renshi")
    detail = api.get(f"/api/v1/tasks/{task_id}", user="renshi").json
    assert detail["status"] == "open" and detail["data"]["opinion"] == "拟同意"
    assert _signers(api, task_id)["guozi"]["opinion"] == "材料不全"
    comments = api.get(f"/api/v1/tasks/{task_id}/comments", user="renshi").json["items"]
    assert [c["text"] for c in comments] == ["材料不全"]

    refused = assert_problem(api.complete(task_id, "renshi", opinion="拟同意"), 409)
    assert "guozi" in refused["detail"] and "不同意" in refused["detail"]
    # jituan, still pending after the holder got it back, may not sign an unsubmitted after-step.
    assert_problem(_sign(api, task_id, "jituan"), 409)

    removed = api.delete(f"/api/v1/tasks/{task_id}/signers/guozi", user="renshi")
    assert removed.status_code == 200, removed.json
    assert _signers(api, task_id)["guozi"]["status"] == "removed"
    assert api.complete(task_id, "renshi", opinion="已补材料").status_code == 200
    done = _sign(api, task_id, "jituan")
    assert _open_titles(done) == ["复核"]
    instance = api.get(f"/api/v1/instances/{instance_id}", user="admin").json
    assert instance["data"]["opinion"] == "已补材料"
    events = [e for e in _history(api, instance_id) if e["action"] == "task.signed"]
    assert "不同意" in events[0]["summary"] and "退回" in events[0]["summary"]


def test_after_a_disagreement_the_holder_may_transfer_and_the_new_holder_decides(signing):
    """不同意, the other way out: the holder transfers the task (转办); the dissent stays attached
    and still blocks until the new holder removes the dissenter; the step completes as theirs."""
    api = signing
    _instance_id, task_id = _start(api)
    assert _add(api, task_id, ["guozi"], "parallel").status_code == 200
    assert _sign(api, task_id, "guozi", agree=False, comment="人选不合适").status_code == 200
    moved = api.post(f"/api/v1/tasks/{task_id}/transfer", user="renshi", json={"to_user": "renshi2"})
    assert moved.status_code == 200, moved.json
    assert "guozi" in assert_problem(api.complete(task_id, "renshi2"), 409)["detail"]
    assert_problem(api.delete(f"/api/v1/tasks/{task_id}/signers/guozi", user="renshi"), 403)
    assert api.delete(f"/api/v1/tasks/{task_id}/signers/guozi", user="renshi2").status_code == 200
    done = api.complete(task_id, "renshi2")
    assert _open_titles(done) == ["复核"]
    assert api.get(f"/api/v1/tasks/{task_id}", user="renshi2").json["completed_by"] == "renshi2"


def test_removing_signers_before_they_sign_and_refused_after(signing):
    """减签: a pending signer is removed (and loses the task); one who agreed cannot be; only
    the holder or an admin removes; removing the last awaited after-signer completes the step."""
    api = signing
    instance_id, task_id = _start(api)
    assert _add(api, task_id, ["guozi", "jituan"], "before").status_code == 200
    assert_problem(api.delete(f"/api/v1/tasks/{task_id}/signers/jituan", user="renshi2"), 403)
    removed = api.delete(f"/api/v1/tasks/{task_id}/signers/jituan", user="renshi")
    assert removed.status_code == 200, removed.json
    assert_problem(api.get(f"/api/v1/tasks/{task_id}", user="jituan"), 404)
    assert_problem(_sign(api, task_id, "jituan"), 404)
    assert_problem(api.delete(f"/api/v1/tasks/{task_id}/signers/jituan", user="renshi"), 404)
    assert_problem(api.delete(f"/api/v1/tasks/{task_id}/signers/nobody", user="renshi"), 404)

    assert _sign(api, task_id, "guozi").status_code == 200
    refused = assert_problem(api.delete(f"/api/v1/tasks/{task_id}/signers/guozi", user="renshi"), 409)
    assert "已签署同意" in refused["detail"]
    assert _open_titles(api.complete(task_id, "renshi")) == ["复核"]
    assert "task.signer_removed" in [e["action"] for e in _history(api, instance_id)]

    # The submission waits for one after-signer; the admin removes them: the step completes.
    _instance_id, second = _start(api)
    assert _add(api, second, ["guozi"], "after").status_code == 200
    assert api.complete(second, "renshi").status_code == 200
    gone = api.delete(f"/api/v1/tasks/{second}/signers/guozi", user="admin")
    assert gone.status_code == 200 and _open_titles(gone) == ["复核"]


def test_observer_and_candidate_refused_x01(signing):
    """X-01: the observer (纪检监督) neither adds signers nor becomes one; nor does an applicant;
    only the holder (or an admin) adds, only active users; before-signers not after submitting."""
    api = signing
    _instance_id, task_id = _start(api)
    watching = assert_problem(_add(api, task_id, ["guozi"], "before", user="jijian"), 403)
    assert "X-01" in watching["detail"]
    as_signer = assert_problem(_add(api, task_id, ["jijian"], "before"), 422)
    assert "X-01" in as_signer["detail"] and as_signer["errors"]["users"]
    assert "应聘" in assert_problem(_add(api, task_id, ["yingpin1"], "before"), 422)["detail"]
    assert "不存在" in assert_problem(_add(api, task_id, ["nobody"], "before"), 422)["detail"]
    assert_problem(_add(api, task_id, ["renshi"], "before"), 422)  # not the holder themselves
    assert_problem(_add(api, task_id, ["guozi"], "sideways"), 422)
    assert_problem(_add(api, task_id, [], "before"), 422)
    assert_problem(_add(api, task_id, ["guozi"], "before", user="jituan"), 404)
    assert_problem(_add(api, "nope", ["guozi"], "before"), 404)

    assert _add(api, task_id, ["guozi"], "after").status_code == 200
    assert_problem(_add(api, task_id, ["guozi"], "after"), 422)  # already a signer
    assert_problem(_add(api, task_id, ["jituan"], "before", user="renshi2"), 403)  # renshi holds it
    assert_problem(_sign(api, task_id, "jijian"), 403)  # reads it, but signs nothing
    assert api.complete(task_id, "renshi").status_code == 200
    late = assert_problem(_add(api, task_id, ["jituan"], "before"), 409)
    assert "after" in late["detail"]
    assert _add(api, task_id, ["jituan"], "parallel", user="admin").status_code == 200


# The plain rule ------------------------------------------------------------------------------


def _s(name: str, position: Position, status: SignerStatus) -> Signer:
    return Signer(name, position, status)


def test_step_complete_rule():
    agreed = _s("a", Position.AFTER, SignerStatus.AGREED)
    pending = _s("b", Position.PARALLEL, SignerStatus.PENDING)
    removed = _s("c", Position.AFTER, SignerStatus.REMOVED)
    against = _s("d", Position.BEFORE, SignerStatus.DISAGREED)
    assert step_complete(True, [agreed, removed])
    assert not step_complete(False, [agreed])
    assert not step_complete(True, [agreed, pending])
    assert not step_complete(True, [against])
    assert step_complete(True, [])
    assert "b" not in (submit_refusal([pending]) or "")  # parallel does not block the submission
    assert "x" in (submit_refusal([_s("x", Position.BEFORE, SignerStatus.PENDING)]) or "")
    assert "d" in (submit_refusal([against]) or "")
    assert sign_refusal(_s("a", Position.AFTER, SignerStatus.PENDING), "a", submitted=False)
    assert sign_refusal(_s("a", Position.AFTER, SignerStatus.PENDING), "a", submitted=True) is None
    assert removal_refusal(agreed, "a") and removal_refusal(against, "d") is None
