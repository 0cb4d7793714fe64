"""The audit trail (X-01, JB-18, FH-07): hash-chained, refused by the database when someone tries
to change it, verified link by link, read as a case's history by those who may see the case and
as the whole trail by the overseers, and exported as the case's 纪实 dossier (openpyxl)."""

from __future__ import annotations

import io
import json
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import time_machine
from click.testing import CliRunner
from lxml import html as lxml_html
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import exc, select, text
from sqlalchemy.engine import make_url

from service.cli import main as cli
from service.domain.audit_chain import GENESIS, event_hash
from service.services.audit_trail import verify_chain
from service.store.db import Database
from service.store.migrate import upgrade
from service.store.models import AuditEvent
from service.timeutil import SHANGHAI
from tests import test_jiebang as jb
from tests.conftest import (
    FIXTURES,
    PASSWORD,
    assert_problem,
    audit_guard_lifted,
    beian_files,
    postgres_schema,
)

VERIFY = "/api/v1/audit/verify"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def _rows(db: Database, instance_id: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if instance_id:
        query = query.where(AuditEvent.instance_id == instance_id)
    with db.transaction() as session:
        return list(session.scalars(query))


def _small_case(api, business_key: str | None = None) -> str:
    """A 人员备案 case: started, its first task claimed and completed."""
    instance = api.start("fenghua_beian", user="renshi", business_key=business_key).json
    [task] = api.inbox("renshi", instance_id=instance["id"])
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", user="renshi").status_code == 200
    done = api.complete(
        task["id"],
        "renshi",
        beian_leixing="入职",
        xingming="张三",
        shenfenzheng_hao="33028319900101123X",
        gangwei="财务会计",
        gangwei_leibie="管理岗位",
        biandong_riqi="2026-11-02",
    )
    assert done.status_code == 200, done.json
    return instance["id"]


def _stored_hash(row: AuditEvent, **changes: Any) -> str:
    fields = {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "instance_id": row.instance_id,
        "task_id": row.task_id,
        "detail": row.detail,
        "prev_hash": row.prev_hash,
        "instance_prev_hash": row.instance_prev_hash,
    }
    return event_hash(**{**fields, **changes})


# Tamper-evidence ----------------------------------------------------------------------------


def test_the_database_refuses_to_edit_or_delete_an_audit_event(beian, db):
    """X-01: append-only is enforced by the database (triggers the migration creates), not by
    convention: UPDATE and DELETE fail on SQLite and PostgreSQL, TRUNCATE as well on PostgreSQL,
    and the event is unchanged."""
    instance_id = _small_case(beian)
    first = _rows(db, instance_id)[0]
    statements = [
        "UPDATE audit_events SET actor = 'someone' WHERE id = :id",
        "UPDATE audit_events SET detail = '{}' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
        "DELETE FROM audit_events",
    ]
    if not db.is_sqlite:
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        with pytest.raises(exc.DBAPIError) as refused, db.transaction(write=True) as session:
            session.execute(text(statement), {"id": first.id})
        assert "审计记录只能追加" in str(refused.value), statement
    again = _rows(db, instance_id)[0]
    assert (again.actor, again.detail, again.hash) == (first.actor, first.detail, first.hash)


def test_each_event_carries_the_hash_of_the_one_before(beian, db):
    """X-01: every event's SHA-256 covers its fields and the hash of the event before it, in the
    global chain and in its case's own chain; anyone can recompute it from the stored row."""
    instance_id = _small_case(beian)
    other = _small_case(beian)
    rows = _rows(db)
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1))
    previous = GENESIS
    last_of_case = {instance_id: GENESIS, other: GENESIS}
    for row in rows:
        assert row.prev_hash == previous
        assert row.hash == _stored_hash(row)
        if row.instance_id is not None:
            assert row.instance_prev_hash == last_of_case[row.instance_id]
            last_of_case[row.instance_id] = row.hash
        else:
            assert row.instance_prev_hash is None
        previous = row.hash
    assert {row.instance_id for row in rows} >= {instance_id, other}


def test_verify_reports_ok_to_the_inspector_and_admins_only(beian):
    """X-01: the inspector (and admins) can check the trail; a clerk cannot."""
    _small_case(beian)
    for user in ("jijian", "admin"):
        report = beian.get(VERIFY, user=user)
        assert report.status_code == 200
        assert report.json["ok"] is True and report.json["broken"] is None
        assert report.json["events"] > 0 and len(report.json["last_hash"]) == 64
    body = assert_problem(beian.get(VERIFY, user="renshi"), 403)
    assert "纪检监督" in body["detail"]


def test_an_event_changed_behind_the_databases_back_is_found_at_its_position(
    beian, db, settings, monkeypatch
):
    """X-01: with the guard dropped (as the database's owner could), one event's actor edited:
    verify names its position and id, over HTTP and on the command line (exit code 1)."""
    instance_id = _small_case(beian)
    claimed = next(row for row in _rows(db, instance_id) if row.action == "task.claimed")
    with audit_guard_lifted(db) as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'li' WHERE id = :id"), {"id": claimed.id})
    report = beian.get(VERIFY, user="jijian").json
    assert report["ok"] is False
    assert report["broken"]["position"] == claimed.seq
    assert report["broken"]["event_id"] == claimed.id
    assert report["broken"]["reason"] == "content"

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"第 {claimed.seq} 个位置断开" in result.output and f"编号 {claimed.id}" in result.output


def test_an_edited_event_with_a_matching_hash_breaks_the_next_link(beian, db):
    """X-01: recomputing the edited event's own hash does not hide the edit: the event after it
    still carries the old hash."""
    instance_id = _small_case(beian)
    claimed = next(row for row in _rows(db, instance_id) if row.action == "task.claimed")
    forged = _stored_hash(claimed, actor="li")
    with audit_guard_lifted(db) as connection:
        connection.execute(
            text("UPDATE audit_events SET actor = 'li', hash = :h WHERE id = :id"),
            {"h": forged, "id": claimed.id},
        )
    report = verify_chain(db)
    assert report.broken is not None
    assert (report.broken.position, report.broken.reason) == (claimed.seq + 1, "link")


def test_a_deleted_event_is_found_where_it_was_and_at_the_end(beian, db):
    """X-01: an event deleted from the middle leaves a gap at its position; one cut off the end
    no longer matches the chain head."""
    instance_id = _small_case(beian)
    rows = _rows(db)
    claimed = next(row for row in rows if row.action == "task.claimed" and row.instance_id == instance_id)
    with audit_guard_lifted(db) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": claimed.id})
    report = verify_chain(db)
    assert report.broken is not None
    assert (report.broken.position, report.broken.event_id, report.broken.reason) == (
        claimed.seq,
        rows[claimed.seq].id,  # the event now found at that position
        "missing",
    )
    with audit_guard_lifted(db) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq >= :s"), {"s": claimed.seq})
    report = verify_chain(db)
    assert report.broken is not None
    assert (report.broken.position, report.broken.reason) == (claimed.seq, "head")


def test_a_refused_request_leaves_no_event(beian, db):
    """Events are written with their transaction or not at all."""
    _small_case(beian, business_key="FH-BA-001")
    before = len(_rows(db))
    clash = beian.start("fenghua_beian", user="renshi", business_key="FH-BA-001")
    assert_problem(clash, 409)
    assert len(_rows(db)) == before
    assert verify_chain(db).ok


def test_concurrent_writers_append_to_one_chain(beian, db):
    """Cases started and worked on at the same moment from separate threads: every event is on
    the chain once, in one unbroken sequence (the chain head is locked by each writer in turn)."""
    headers = beian.headers("renshi")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def worker(index: int) -> None:
        client = beian.client.application.test_client()
        barrier.wait()
        body = {"definition_key": "fenghua_beian", "business_key": f"FH-BA-{index:03d}"}
        statuses.append(client.post("/api/v1/instances", headers=headers, json=body).status_code)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * 6
    report = verify_chain(db)
    assert report.ok, report.broken
    starts = [row for row in _rows(db) if row.action == "instance.started"]
    assert len(starts) == 6 and len({row.instance_id for row in starts}) == 6


@pytest.fixture()
def fresh_url(tmp_path, database_url) -> Iterator[str]:
    """An empty database of its own (a new SQLite file, or a new PostgreSQL schema)."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    with postgres_schema(os.environ["TEST_DATABASE_URL"], f"xp_fresh_{os.getpid()}") as url:
        yield url


def test_events_recorded_before_the_upgrade_are_chained_by_it(fresh_url):
    """Migration 0012_audit chains the events a database already holds, in the order they were
    written, then guards them: verify finds the chain whole."""
    db = Database(fresh_url)
    try:
        upgrade(db, "0009_deployment_name")
        with db.engine.begin() as connection:
            for number, (action, instance_id) in enumerate(
                [("auth.login", None), ("instance.started", "case-1"), ("task.opened", "case-1")], 1
            ):
                connection.execute(
                    text(
                        "INSERT INTO audit_events (at, actor, action, instance_id, task_id, detail)"
                        " VALUES (:at, 'renshi', :action, :instance_id, NULL, :detail)"
                    ),
                    {
                        "at": datetime(2026, 3, number, 9, 0, tzinfo=SHANGHAI),
                        "action": action,
                        "instance_id": instance_id,
                        "detail": json.dumps({"title": "登记", "n": number}, ensure_ascii=False),
                    },
                )
        upgrade(db)
        report = verify_chain(db)
        assert report.ok, report.broken
        rows = _rows(db)
        assert [row.action for row in rows[:3]] == ["auth.login", "instance.started", "task.opened"]
        assert rows[2].instance_prev_hash == rows[1].hash and rows[1].instance_prev_hash == GENESIS
        with pytest.raises(exc.DBAPIError), db.transaction(write=True) as session:
            session.execute(text("DELETE FROM audit_events"))
    finally:
        db.dispose()


# A whole procedure ---------------------------------------------------------------------------

CHECKER = "wang_hecha"  # a 党工部 investigator with a display name of their own


def _jb_case(api) -> str:
    """揭榜挂帅 from the call to its end: a judge declares a conflict (X-02), the speaking order and
    the questions are drawn with a seed (JB-08, JB-10), a real-name objection during the
    pre-appointment publicity is investigated and sustained by 党委 (JB-16, X-04): 不予任命."""
    created = api.post(
        "/api/v1/users",
        json={"username": CHECKER, "password": PASSWORD, "display_name": "王核查", "roles": ["党工部"]},
    )
    assert created.status_code in (201, 409), created.json
    with time_machine.travel(jb.at("2026-03-02"), tick=False) as traveller:
        instance_id = jb.start_to_interview(api, traveller)
        scores = {judge: {"张建国": 90, "李明华": 85, "王志强": 82} for judge in jb.PINGWEI}
        jb.interview(api, scores, huibi={"pingwei3": ("王志强",)})
        jb.appoint_after_interview(api, traveller, instance_id, "张建国")
        api.post_publicity("dangweigongzuobu")
        jb.do(
            api,
            "dangweigongzuobu",
            "受理公示异议",
            jubaoren="刘强",
            lianxi_fangshi="13904140000",
            shishi="反映张建国在原单位任职期间存在违规采购问题。",
        )
        traveller.move_to(jb.at("2026-03-25"))
        jb.tick(api)
        jb.do(
            api,
            CHECKER,
            "核查异议",
            hecha_jieguo="异议成立",
            hecha_shuoming="经调查核实，反映问题属实，已报党委。",
            fankui_jubaoren="已于2026年3月25日当面向刘强反馈核查结果。",
        )
        jb.sustain(api)
    assert jb.ended_at(api, instance_id) == "不予任命"
    return instance_id


def _history(api, instance_id: str, user: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/instances/{instance_id}/history", user=user)
    assert response.status_code == 200, response.json
    return response.json["events"]


def _completed_tasks(api, instance_id: str) -> list[dict[str, Any]]:
    query = {"instance_id": instance_id, "status": "completed", "per_page": 100}
    return api.get("/api/v1/tasks", user="jijian", query_string=query).json["items"]


def test_the_history_of_a_whole_procedure_lists_every_step_with_its_actor(api):
    """X-01, JB-18: the case's timeline names every completed step with the person who did it
    (by display name), the timer firings, and what the scripts decided: the draw with its seed,
    the scores computed; actions are in Chinese."""
    instance_id = _jb_case(api)
    events = _history(api, instance_id, "jijian")
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert all(e["action_label"] != e["action"] and e["summary"] for e in events)

    done = {(e["step"], e["actor"]) for e in events if e["action"] == "task.completed"}
    assert done == {(t["title"], t["completed_by"]) for t in _completed_tasks(api, instance_id)}
    finding = next(e for e in events if e["action"] == "task.completed" and e["step"] == "核查异议")
    assert (finding["actor_name"], finding["action_label"]) == ("王核查", "办结任务")
    assert finding["detail"]["data"]["hecha_jieguo"] == "异议成立"
    assert "王核查办结「核查异议」" in finding["summary"]

    fired = [e for e in events if e["action"] == "timer.fired"]
    assert fired and all(e["actor_name"] == "定时调度" and e["step"] for e in fired)

    data = api.get(f"/api/v1/instances/{instance_id}", user="jijian").json["data"]
    changes = [e for e in events if e["action"] == "data.changed"]
    draw = next(e for e in changes if "chouqian_zhongzi" in e["detail"]["added"])
    assert draw["detail"]["added"]["chouqian_zhongzi"] == data["chouqian_zhongzi"]  # JB-08
    assert draw["detail"]["added"]["chouti_jilu"] == data["chouti_jilu"]  # JB-10, with seeds
    assert draw["actor_name"] == "流程引擎"
    scored = next(e for e in changes if "mianshi_chengji" in e["detail"]["added"])
    assert scored["detail"]["added"]["mianshi_chengji"] == data["mianshi_chengji"]  # JB-11
    assert events[-1]["action"] == "instance.completed"


def test_a_judge_reads_the_timeline_but_not_another_judges_sheet(api):
    """X-06, JB-07: a judge who may see the case reads when each step was done and by whom, their
    own sheet, but neither a colleague's sheet nor the computed results; an outsider not even
    the case."""
    instance_id = _jb_case(api)
    events = _history(api, instance_id, "pingwei2")
    sheets = {e["actor"]: e for e in events if e["action"] == "task.completed" and e["step"] == "面试评分"}
    assert set(sheets) == set(jb.PINGWEI)
    assert sheets["pingwei2"]["detail"]["data"]["pingfen"]
    assert all(sheets[judge]["detail"] is None for judge in jb.PINGWEI if judge != "pingwei2")
    assert all(e["detail"] is None for e in events if e["action"] == "data.changed")
    assert_problem(api.get(f"/api/v1/instances/{instance_id}/history", user="outsider"), 404)


def test_the_trail_is_filtered_and_paged_for_overseers_only(api):
    """X-01: the inspector reads the whole trail by case, person, action family and period."""
    for user in ("jijian", "admin"):  # logged in beforehand, whichever tests ran first: logins are events
        api.token(user)
    instance_id = _jb_case(api)
    audit = "/api/v1/audit"
    everything = api.get(
        audit, user="jijian", query_string={"instance_id": instance_id, "per_page": 100}
    ).json
    assert everything["total"] == len(_history(api, instance_id, "jijian"))
    page = api.get(
        audit, user="jijian", query_string={"instance_id": instance_id, "per_page": 5, "page": 2}
    ).json
    assert [e["seq"] for e in page["items"]] == [e["seq"] for e in everything["items"][5:10]]
    mine = api.get(audit, user="admin", query_string={"actor": CHECKER, "action": "task"}).json
    assert [(e["action"], e["actor_name"]) for e in mine["items"]] == [("task.completed", "王核查")]
    assert mine["items"][0]["hash"] and mine["items"][0]["prev_hash"]
    march = {"instance_id": instance_id, "action": "timer.fired", "from": "2026-03-10", "to": "2026-03-14"}
    fired = api.get(audit, user="jijian", query_string=march).json["items"]
    assert fired and all("2026-03-10" <= e["at"][:10] <= "2026-03-14" for e in fired)
    newest = api.get(audit, user="jijian", query_string={"order": "desc", "per_page": 1}).json["items"]
    assert newest[0]["seq"] == max(e["seq"] for e in everything["items"])
    assert "纪检监督" in assert_problem(api.get(audit, user="dangwei"), 403)["detail"]
    backwards = assert_problem(
        api.get(audit, user="jijian", query_string={"from": "2026-04-01", "to": "2026-03-01"}), 422
    )
    assert "晚于" in backwards["detail"]
    assert_problem(api.get(audit, user="jijian", query_string={"from": "三月"}), 422)


def test_the_inspector_reads_everything_and_changes_nothing(api):
    """X-01: the inspector reads the history, the trail, the check and the dossier; the case is
    unchanged (only the export itself is recorded) and any attempt to act is refused."""
    instance_id = _jb_case(api)
    api.token("jijian")  # logged in beforehand, whichever tests ran first: reading records no login
    before = api.get(f"/api/v1/instances/{instance_id}", user="admin").json
    trail = api.get("/api/v1/audit", user="admin", query_string={"per_page": 100, "order": "desc"}).json
    assert api.get(f"/api/v1/instances/{instance_id}/history", user="jijian").status_code == 200
    assert api.get("/api/v1/audit", user="jijian").status_code == 200
    assert api.get(VERIFY, user="jijian").json["ok"] is True
    assert api.get(f"/api/v1/instances/{instance_id}/dossier.xlsx", user="jijian").status_code == 200
    assert_problem(api.post(f"/api/v1/instances/{instance_id}/retry", user="jijian"), 403)
    assert_problem(api.start("jiebang_guashuai", user="jijian"), 403)
    assert api.get(f"/api/v1/instances/{instance_id}", user="admin").json == before
    after = api.get("/api/v1/audit", user="admin", query_string={"per_page": 100, "order": "desc"}).json
    new = after["items"][: after["total"] - trail["total"]]
    assert [(e["action"], e["actor"], e["instance_id"]) for e in new] == [
        ("dossier.exported", "jijian", instance_id)
    ]
    assert api.get(VERIFY, user="admin").json["ok"] is True


# The dossier -------------------------------------------------------------------------------


def _workbook(api, instance_id: str, user: str = "jijian") -> Any:
    response = api.get(f"/api/v1/instances/{instance_id}/dossier.xlsx", user=user)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == XLSX
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.get_data()))


def _table(sheet: Worksheet, header_row: int = 1) -> list[dict[str, Any]]:
    headers = [cell.value for cell in sheet[header_row]]
    return [
        dict(zip(headers, row, strict=False))
        for row in sheet.iter_rows(min_row=header_row + 1, values_only=True)
    ]


def _records(book: Any, variable: str) -> list[dict[str, Any]]:
    """The rows of the sheet holding `variable`, keyed by the variable each header notes (the
    dossier notes it on every header that comes from the data)."""
    for sheet in book.worksheets:
        noted = [
            c.comment.text.removeprefix("变量：") if c.comment is not None else c.value for c in sheet[1]
        ]
        if variable in noted:
            return [
                dict(zip(noted, row, strict=False)) for row in sheet.iter_rows(min_row=2, values_only=True)
            ]
    raise AssertionError(f"no column for {variable}: {book.sheetnames}")


def test_the_dossier_workbook_matches_the_case_sheet_by_sheet(api):
    """JB-18, X-02, X-04: the 纪实 dossier opened with openpyxl: the cover carries the hash of the
    case's last event, the timeline every event, then the panel and the declared conflict, each
    judge's sheet, the computed scores, the draws with their seeds, the publicities with the
    objection and its finding, the decisions, all as the case holds them."""
    instance_id = _jb_case(api)
    data = api.get(f"/api/v1/instances/{instance_id}", user="jijian").json["data"]
    events = _history(api, instance_id, "jijian")
    book = _workbook(api, instance_id)
    assert book.sheetnames[:4] == ["封面", "时间线", "办理记录", "基本信息"]

    cover = {row["项目"]: row["内容"] for row in _table(book["封面"], header_row=2)}
    assert cover["业务编号"] == "GT-JB-2026-01" and cover["状态"] == "已结束"
    assert cover["最后事件哈希"] == events[-1]["hash"]
    assert cover["审计事件数"] == len(events)
    assert cover["审计链校验"].startswith("完整")
    assert cover["流程"].startswith("揭榜挂帅")

    timeline = _table(book["时间线"])
    assert [row["哈希"] for row in timeline] == [e["hash"] for e in events]
    assert [(row["操作"], row["操作人"]) for row in timeline] == [
        (e["action_label"], e["actor_name"]) for e in events
    ]

    done = _table(book["办理记录"])
    finding = next(row for row in done if row["步骤"] == "核查异议")
    assert finding["办理人"] == "王核查" and "异议成立" in finding["提交内容"]
    assert {row["步骤"] for row in done} == {t["title"] for t in _completed_tasks(api, instance_id)}

    facts = {row["变量"]: row["内容"] for row in _table(book["基本信息"])}
    assert str(facts["chouqian_zhongzi"]) == str(data["chouqian_zhongzi"])  # JB-08: the seed, every digit
    assert facts["renmian_jianyi"] == data["renmian_jianyi"]
    assert facts["yanjiang_shunxu"] == "、".join(data["yanjiang_shunxu"])

    panel = _table(book["评审组"])
    assert [row["账号"] for row in panel if row["角色"] == "面试评审组"] == data["pingwei_list"]  # JB-07
    assert [row["账号"] for row in panel if row["角色"] == "命题人"] == [data["mingti_ren"]]  # JB-10
    [recusal] = _table(book["回避情况"])
    assert (recusal["回避人"], recusal["回避对象"]) == ("pingwei3", "王志强")

    sheets = _records(book, "pingfen_biao.pingfen.yanjiang.biaoxian")  # each judge's sheet
    assert [(r["pingfen_biao.pingwei"], r["pingfen_biao.pingfen.xingming"]) for r in sheets] == [
        (s["pingwei"], row["xingming"]) for s in data["pingfen_biao"] for row in s["pingfen"]
    ]
    assert [r["pingfen_biao.pingfen.yanjiang.biaoxian"] for r in sheets] == [
        row.get("yanjiang", {}).get("biaoxian") for s in data["pingfen_biao"] for row in s["pingfen"]
    ]
    scores = _records(book, "mianshi_chengji.defen")  # JB-11
    assert [(r["mianshi_chengji.xingming"], r["mianshi_chengji.defen"]) for r in scores] == [
        (c["xingming"], c["defen"]) for c in data["mianshi_chengji"]
    ]
    draws = _records(book, "chouti_jilu.zhongzi")  # JB-10: each applicant's questions and seed
    assert [
        (r["chouti_jilu.xingming"], str(r["chouti_jilu.zhongzi"]), r["chouti_jilu.timu"]) for r in draws
    ] == [(c["xingming"], str(c["zhongzi"]), "、".join(c["timu"])) for c in data["chouti_jilu"]]
    periods = _records(book, "gongshi_lishi.gongshi_neirong")  # JB-06, JB-16: both publicities
    assert [r["gongshi_lishi.gongshi_neirong"] for r in periods] == [
        g["gongshi_neirong"] for g in data["gongshi_lishi"]
    ]
    objections = _records(book, "gongshi_lishi.gongshi_yiyi.jubaoren")
    assert [
        (
            r["gongshi_lishi.gongshi_neirong"],
            r["gongshi_lishi.gongshi_yiyi.jubaoren"],
            r["gongshi_lishi.gongshi_yiyi.hecha_jieguo"],
        )
        for r in objections
    ] == [
        (g["gongshi_neirong"], o["jubaoren"], o["hecha_jieguo"])
        for g in data["gongshi_lishi"]
        for o in g["gongshi_yiyi"]
    ]
    assert [r["gongshi_lishi.gongshi_yiyi.jubaoren"] for r in objections] == ["刘强"]

    for sheet in book.worksheets:  # print-ready: header repeated, fitted to the page width
        assert sheet.print_title_rows and sheet.page_setup.fitToWidth == 1
        assert all(dimension.width <= 70 for dimension in sheet.column_dimensions.values())


def test_the_dossier_is_for_the_organisers_and_overseers(api):
    """X-05, X-06: the organising office (the roles that start the process) and the overseers
    export the dossier; a judge, who may see the case, may not."""
    instance_id = _jb_case(api)
    _workbook(api, instance_id, user="gongzuozu")
    _workbook(api, instance_id, user="admin")
    body = assert_problem(api.get(f"/api/v1/instances/{instance_id}/dossier.xlsx", user="pingwei1"), 403)
    assert "工作组" in body["detail"]
    assert_problem(api.get(f"/api/v1/instances/{instance_id}/dossier.xlsx", user="outsider"), 404)


def test_text_that_looks_like_a_formula_stays_text(beian):
    """A value someone typed beginning with "=" is written as text, never run as a formula."""
    instance = beian.start("fenghua_beian", user="renshi", business_key='=HYPERLINK("x")').json
    book = _workbook(beian, instance["id"], user="admin")
    cover = {row["项目"]: row["内容"] for row in _table(book["封面"], header_row=2)}
    assert cover["业务编号"] == '=HYPERLINK("x")'
    cell = next(c for c in book["封面"]["B"] if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"


# Deadlines a calendar change moved ---------------------------------------------------------


def test_a_calendar_change_and_the_deadline_it_moved_are_in_the_history(api):
    """The calendar change is on the trail, and the case's history says which deadline it moved,
    from when to when."""
    assert api.deploy(FIXTURES / "timers.bpmn").status_code == 201
    with time_machine.travel(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI)):
        instance = api.start("ceshi_gongzuori", user="gongzuozu", fabu_riqi="2026-12-28").json
        assert (
            api.put("/api/v1/calendar/days/2027-01-01", json={"type": "holiday", "note": "元旦"}).status_code
            == 200
        )
    events = _history(api, instance["id"], "jijian")
    [moved] = [e for e in events if e["action"] == "deadlines.recomputed"]
    [timer] = moved["detail"]["timers"]
    assert (timer["title"], timer["from"][:10], timer["to"][:10]) == ("报名截止", "2027-01-04", "2027-01-05")
    assert moved["detail"]["calendar_dates"] == ["2027-01-01"]
    assert "2027-01-01" in moved["summary"] and "2027-01-05" in moved["summary"]
    changed = api.get("/api/v1/audit", user="jijian", query_string={"action": "calendar"}).json["items"]
    assert [(e["action"], e["detail"]["day"]) for e in changed] == [("calendar.day_set", "2027-01-01")]


# The dossier as a printable page ------------------------------------------------------------


def _page(api, instance_id: str, user: str = "jijian") -> Any:
    response = api.get(f"/api/v1/instances/{instance_id}/dossier.html", user=user)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    return lxml_html.fromstring(response.get_data(as_text=True))


def _page_sections(page: Any) -> dict[str, Any]:
    return {section.findtext("h2"): section for section in page.iter("section")}


def _page_table(section: Any) -> list[dict[str, str]]:
    headers = [th.get("data-variable") or th.text_content() for th in section.xpath(".//thead/tr/th")]
    return [
        dict(zip(headers, (td.text_content() for td in row.xpath("./td")), strict=True))
        for row in section.xpath(".//tbody/tr")
    ]


def _page_records(page: Any, variable: str) -> list[dict[str, str]]:
    for section in page.iter("section"):
        if section.xpath(f".//th[@data-variable='{variable}']"):
            return _page_table(section)
    raise AssertionError(f"no column for {variable}")


def test_the_dossier_page_prints_what_the_workbook_holds(api):
    """JB-18, JB-08, JB-10, X-04: the printable dossier has the workbook's sections in the same
    order, under Chinese headings, each on its own A4 page: the cover with the last event's hash,
    the timeline, the scores, the draws with every digit of their seeds, the objection and its
    finding — as the case holds them, times in Beijing time."""
    instance_id = _jb_case(api)
    data = api.get(f"/api/v1/instances/{instance_id}", user="jijian").json["data"]
    events = _history(api, instance_id, "jijian")
    page = _page(api, instance_id)
    book = _workbook(api, instance_id)
    sections = _page_sections(page)
    assert list(sections) == book.sheetnames  # one model: the same sections, the same order
    assert page.findtext(".//h1").startswith("纪实档案：揭榜挂帅")

    cover = {row.findtext("th"): row.findtext("td") for row in sections["封面"].xpath(".//tr")}
    assert cover["最后事件哈希"] == events[-1]["hash"]
    assert cover["审计链校验"].startswith("完整") and cover["状态"] == "已结束"
    started = datetime.fromisoformat(
        api.get(f"/api/v1/instances/{instance_id}", user="jijian").json["created_at"]
    )
    assert cover["发起时间"] == f"{started.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}"  # Beijing time

    timeline = _page_table(sections["时间线"])
    assert [(row["操作"], row["操作人"], row["哈希"]) for row in timeline] == [
        (e["action_label"], e["actor_name"], e["hash"]) for e in events
    ]
    scores = _page_records(page, "mianshi_chengji.defen")  # JB-11
    assert [(r["mianshi_chengji.xingming"], float(r["mianshi_chengji.defen"])) for r in scores] == [
        (c["xingming"], float(c["defen"])) for c in data["mianshi_chengji"]
    ]
    draws = _page_records(page, "chouti_jilu.zhongzi")  # JB-10: the seed, every digit
    assert [(r["chouti_jilu.xingming"], r["chouti_jilu.zhongzi"]) for r in draws] == [
        (c["xingming"], str(c["zhongzi"])) for c in data["chouti_jilu"]
    ]
    objections = _page_records(page, "gongshi_lishi.gongshi_yiyi.jubaoren")
    assert [
        (r["gongshi_lishi.gongshi_yiyi.jubaoren"], r["gongshi_lishi.gongshi_yiyi.hecha_jieguo"])
        for r in objections
    ] == [("刘强", "异议成立")]
    [recusal] = _page_table(sections["回避情况"])
    assert (recusal["回避人"], recusal["回避对象"]) == ("pingwei3", "王志强")

    style = page.findtext(".//style")
    assert "size: A4" in style and "break-before: page" in style
    exports = api.get(
        "/api/v1/audit",
        user="jijian",
        query_string={"instance_id": instance_id, "action": "dossier.exported"},
    ).json["items"]
    assert [e["detail"]["format"] for e in exports] == ["html", "xlsx"]
    assert api.get(VERIFY, user="jijian").json["ok"] is True


def test_the_dossier_page_is_refused_as_the_workbook_is(api):
    """X-05, X-06: the organisers and admins open the page; a judge (who sees the case) is refused
    with 403, an outsider (who does not) with 404, both problem+json."""
    instance_id = _jb_case(api)
    _page(api, instance_id, user="gongzuozu")
    _page(api, instance_id, user="admin")
    body = assert_problem(api.get(f"/api/v1/instances/{instance_id}/dossier.html", user="pingwei1"), 403)
    assert "工作组" in body["detail"]
    assert_problem(api.get(f"/api/v1/instances/{instance_id}/dossier.html", user="outsider"), 404)


def test_the_case_page_links_the_dossier_for_those_who_may_export_it(app, api):
    """The web case page offers the printable dossier and the workbook to the organisers, not to a
    judge; the linked page is the same dossier."""
    from tests.test_web import Browser

    instance_id = _jb_case(api)
    organiser = Browser(app).login("gongzuozu")
    case_page = organiser.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert f"/cases/{instance_id}/dossier" in case_page and f"/cases/{instance_id}/dossier.xlsx" in case_page
    printed = organiser.get(f"/cases/{instance_id}/dossier")
    assert printed.status_code == 200
    assert "最后事件哈希" in printed.get_data(as_text=True)
    workbook = organiser.client.get(f"/cases/{instance_id}/dossier.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype == XLSX
    judge = Browser(app).login("pingwei1")
    assert f"/cases/{instance_id}/dossier" not in judge.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert judge.get(f"/cases/{instance_id}/dossier").status_code == 403


# Labels --------------------------------------------------------------------------------------


def test_every_recorded_action_has_a_chinese_label():
    """X-01: the trail is read by people: every action a service records is named in Chinese."""
    from service.services.labels import ACTION_LABELS

    recorded: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "service").rglob("*.py"):
        source = path.read_text("utf-8")
        for call in re.finditer(r"audit\.record\(", source):
            recorded |= set(re.findall(r'"([a-z]+\.[a-z_]+)"', source[call.end() : call.end() + 250])[:2])
    assert {"auth.failed", "auth.locked", "user.created", "token.created", "calendar.day_set"} <= recorded
    missing = sorted(action for action in recorded if action not in ACTION_LABELS)
    assert not missing, missing


def test_login_failures_lockouts_and_admin_actions_are_labelled_on_the_trail(api):
    """X-01: failed logins (登录失败), the lockout they lead to (登录被暂停), a new account, a system
    token and a calendar change read in Chinese on the trail the inspector queries."""
    username = f"lf{uuid4().hex[:8]}"
    created = api.post("/api/v1/users", json={"username": username, "password": "right-pass-1"})
    assert created.status_code == 201, created.json
    for _ in range(5):  # the default limit per account
        failed = api.client.post(
            "/api/v1/auth/token",
            json={"username": username, "password": "wrong-pass"},
            environ_base={"REMOTE_ADDR": "10.9.8.7"},
        )
        assert_problem(failed, 401)
    trail = api.get("/api/v1/audit", user="jijian", query_string={"actor": username, "action": "auth"}).json
    labels = [(e["action"], e["action_label"]) for e in trail["items"]]
    assert labels == [("auth.failed", "登录失败")] * 5 + [("auth.locked", "登录被暂停")]

    token = api.post("/api/v1/tokens", json={"name": f"oa-{username}", "roles": ["工作组"]})
    assert token.status_code == 201, token.json
    day = api.put("/api/v1/calendar/days/2031-05-06", json={"type": "holiday", "note": "测试"})
    assert day.status_code == 200, day.json
    assert api.delete("/api/v1/calendar/days/2031-05-06").status_code in (200, 204)
    newest = api.get("/api/v1/audit", user="jijian", query_string={"order": "desc", "per_page": 30}).json
    named = {e["action"]: e["action_label"] for e in newest["items"]}
    assert named["user.created"] == "新建用户"
    assert named["token.created"] == "签发接入令牌"
    assert named["calendar.day_set"] == "设置日历" and named["calendar.day_deleted"] == "删除日历调整"
