"""Intake from outside the office (issue 13): the public notice board (the open calls and the
running publicity periods), online applications by candidates (X-03) and real-name public
objections (X-04). The rules are in service/domain/intake.py.

Both intakes complete the open registration step the office would otherwise fill in (登记揭榜
申请 / 登记报名 / 受理公示异议) through `tasks.submit` — the same validation, decision table and
scripts as a registration by the office, which stays possible for paper applications. They
submit as a system account (`system:网上报名`, `system:公示栏`), never as the applicant: having
completed a step of the case would let them read the whole case, everyone else's
applications included (services/visibility.py). Who applied is in the audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.container import Container
from service.domain.intake import (
    applicant_form,
    applicant_refusal,
    application_data,
    id_number_in,
    id_number_path,
    own_id_refusal,
)
from service.domain.own_records import normalise_id_number
from service.domain.status import InstanceStatus, TaskStatus
from service.security import id_number_digest
from service.services import files, tasks
from service.services.errors import Forbidden, Invalid, NotFound, TooManyRequests
from service.services.principal import Principal
from service.services.tasks import Completion
from service.services.unit_of_work import Advancing, advance
from service.store.models import Instance, ObjectionReceipt, ProcessDefinition, Task, User
from service.timeutil import SHANGHAI, utcnow

ONLINE = Principal(username="system:网上报名", is_system=True, display_name="网上报名")
BOARD = Principal(username="system:公示栏", is_system=True, display_name="公示栏")
# The objection form's field for the objector's evidence (forms/gongshi_yiyi_dengji).
EVIDENCE_FIELD = "zhengju_fujian"
MAX_EVIDENCE_FILES = 5

# What the notice board shows of a call: the published content of the 榜单 / 公告 (JB-02's
# message, FH-01's and KF's announcements), never the applicants.
PUBLIC_CALL_FIELDS = (
    "jingpin_zhiwei",
    "fabang_danwei",
    "jiebang_duixiang",
    "zhuyao_mubiao",
    "chengguo_yaoqiu",
    "ziyuan_zhengce",
    "shiyongqi_yue",
    "qita_shixiang",
    "fabu_riqi",
    "jiebang_jiezhi",
    "gonggao_biaoti",
    "gangwei_mingcheng",
    "gonggao_riqi",
    "baoming_jiezhi",
    "gonggao_fangshi",
)
PUBLIC_PUBLICITY_FIELDS = ("gongshi_neirong", "gongshi_kaiqi_riqi", "gongshi_jiezhi", "gongshi_tianshu")
CHECK_FORM, DECISION_FORM = "gongshi_yiyi_hecha", "gongshi_yiyi_jueding"
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


@dataclass(frozen=True)
class Notice:
    kind: str  # "call" (发榜 / 招聘公告) or "publicity" (公示)
    task_id: str
    instance_id: str
    definition_key: str
    definition_name: str
    business_key: str | None
    title: str
    content: dict[str, Any]
    ends_at: datetime | None
    forms: dict[str, Any] = field(default_factory=dict)  # the definition's forms, for labels


@dataclass(frozen=True)
class Receipt:
    code: str
    objection_id: str
    notice: Notice


@dataclass(frozen=True)
class Feedback:
    code: str
    objection_id: str
    filed_at: datetime
    stage: str
    due_at: datetime | None = None
    finding: str | None = None
    feedback: str | None = None
    decision: str | None = None
    decision_reason: str | None = None


def notices(app: Container) -> list[Notice]:
    """The calls open for applications and the publicity periods receiving objections."""
    forms = (*app.settings.online_application_forms, *app.settings.objection_forms)
    with app.db.transaction() as session:
        rows = session.execute(
            select(Task, Instance, ProcessDefinition)
            .join(Instance, Instance.id == Task.instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == Instance.definition_id)
            .where(
                Task.status == TaskStatus.OPEN,
                Task.form_key.in_(forms),
                Instance.status == InstanceStatus.RUNNING,
            )
            .order_by(Task.created_at.desc())
        ).all()
        return [_notice(app, task, instance, definition) for task, instance, definition in rows]


def notice(app: Container, instance_id: str, kind: str | None = None) -> Notice:
    """The open call or publicity of one case (its intake step is a new task each time it
    loops, so pages name the case)."""
    found = next((n for n in notices(app) if n.instance_id == instance_id and kind in (None, n.kind)), None)
    if found is None:
        raise NotFound("该公告或公示已结束或不存在，请回到公告栏查看正在进行的公告和公示")
    return found


def _notice(app: Container, task: Task, instance: Instance, definition: ProcessDefinition) -> Notice:
    kind = "publicity" if task.form_key in app.settings.objection_forms else "call"
    run = app.engine.load(definition.id, lambda: definition.spec, instance.state)
    data = run.task_data(task.id)
    shown = PUBLIC_PUBLICITY_FIELDS if kind == "publicity" else PUBLIC_CALL_FIELDS
    return Notice(
        kind=kind,
        task_id=task.id,
        instance_id=instance.id,
        definition_key=definition.key,
        definition_name=definition.name or definition.key,
        business_key=instance.business_key,
        title=task.title,
        content={name: data[name] for name in shown if data.get(name) not in (None, "", [])},
        ends_at=task.due_at,
        forms=dict(definition.forms or {}),
    )


# Online applications ------------------------------------------------------------------------


def application_form(app: Container, principal: Principal, instance_id: str) -> tuple[Notice, dict[str, Any]]:
    """The call and its registration form as the candidate fills it."""
    _require_applicant(app, principal)
    call = notice(app, instance_id, "call")
    with app.db.transaction() as session:
        task = session.get(Task, call.task_id)
        assert task is not None and task.form_key
        schema = call.forms.get(task.form_key) or {}
    return call, applicant_form(schema)


def apply(app: Container, principal: Principal, instance_id: str, data: Any) -> Completion:
    """A candidate's application, registered as the office's registration step would."""
    _require_applicant(app, principal)
    if not isinstance(data, Mapping):
        raise Invalid("申请表应为一个对象", errors={"_form": ["格式不正确"]})
    call = notice(app, instance_id, "call")
    today = utcnow().astimezone(SHANGHAI).date().isoformat()

    def work(unit: Advancing) -> Completion:
        task = _open_intake(unit.session, instance_id, app.settings.online_application_forms)
        schema = unit.definition.forms.get(task.form_key or "", {})
        prepared = application_data(schema, data, today)
        path = id_number_path(schema)
        if path is not None:
            given = normalise_id_number(id_number_in(prepared, path))
            digest = id_number_digest(given) if given else None
            assert principal.id_number_digest is not None
            if (refusal := own_id_refusal(digest, principal.id_number_digest)) is not None:
                raise Invalid(refusal, errors={".".join(path): [refusal]})
        _system_user(unit.session, ONLINE)
        return tasks.submit(
            app,
            unit,
            task,
            ONLINE,
            prepared,
            uploader=principal,
            applicant=principal.username,
            channel="网上报名",
        )

    return advance(
        app, call.instance_id, work, actor=principal.username, doing=f"网上报名「{call.definition_name}」"
    )


def _require_applicant(app: Container, principal: Principal) -> None:
    is_candidate = principal.has_any_role(set(app.settings.candidate_roles))
    refusal = applicant_refusal(is_candidate, principal.id_number_digest is not None)
    if refusal is not None:
        raise Forbidden(refusal)


# Public objections --------------------------------------------------------------------------


def address_digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def file_objection(
    app: Container,
    instance_id: str,
    data: Any,
    address: str,
    evidence: Sequence[tuple[str | None, bytes]] = (),
) -> Receipt:
    """X-04: a real-name objection from the notice board, registered in the running publicity
    like one the office receives; limited per address and hour (setting objections_per_hour).
    `evidence` (filename, bytes) is stored with the objection in the same transaction, so a
    refused objection leaves no file behind."""
    if not isinstance(data, Mapping):
        raise Invalid("异议内容应为一个对象", errors={"_form": ["格式不正确"]})
    if len(evidence) > MAX_EVIDENCE_FILES:
        message = f"最多附 {MAX_EVIDENCE_FILES} 个证明材料，请合并或删减后再提交"
        raise Invalid(message, errors={EVIDENCE_FIELD: [message]})
    accepted = [files.accept(app, BOARD, name, content, field=EVIDENCE_FIELD) for name, content in evidence]
    publicity = notice(app, instance_id, "publicity")
    sender = address_digest(address or "unknown")
    limit = app.settings.objections_per_hour
    with app.db.transaction() as session:
        since = utcnow() - timedelta(hours=1)
        filed = session.scalar(
            select(func.count())
            .select_from(ObjectionReceipt)
            .where(ObjectionReceipt.address_digest == sender, ObjectionReceipt.created_at > since)
        )
        if (filed or 0) >= limit:
            raise TooManyRequests(
                f"同一网络地址每小时最多提交 {limit} 条异议，请稍后再提交，或直接向公示受理单位反映",
                retry_after=3600,
            )

    def work(unit: Advancing) -> Receipt:
        task = _open_intake(unit.session, instance_id, app.settings.objection_forms)
        before = {t.id for t in unit.open_tasks} | {
            t.id for t in unit.session.scalars(select(Task).where(Task.instance_id == unit.instance.id))
        }
        _system_user(unit.session, BOARD)
        submitted = dict(data)
        if accepted:
            for stored in accepted:
                files.store(unit.session, stored)
            submitted[EVIDENCE_FIELD] = [{"file_id": f.id, "filename": f.filename} for f in accepted]
        completion = tasks.submit(app, unit, task, BOARD, submitted, channel="公示栏")
        new = [t for t in completion.open_tasks if t.id not in before]
        check = next((t for t in new if t.form_key == CHECK_FORM), None)
        objection_id = str(unit.run.task_data(check.id).get("yiyi_bianhao") or "") if check else ""
        code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))
        unit.session.add(
            ObjectionReceipt(
                code=code,
                instance_id=unit.instance.id,
                objection_id=objection_id,
                check_task_id=check.id if check else None,
                address_digest=sender,
            )
        )
        return Receipt(code, objection_id, publicity)

    return advance(app, publicity.instance_id, work, actor=BOARD.username, doing="登记公示异议")


def feedback(app: Container, code: str) -> Feedback:
    """What became of an objection, by its receipt code: registered, being checked, the
    finding and the feedback to the objector (JB-16), the decision."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:20]
    with app.db.transaction() as session:
        receipt = session.get(ObjectionReceipt, cleaned) if cleaned else None
        if receipt is None:
            raise NotFound("没有这个回执码的异议，请核对回执码（10 位字母和数字）")
        check = session.get(Task, receipt.check_task_id) if receipt.check_task_id else None
        base = {"code": receipt.code, "objection_id": receipt.objection_id, "filed_at": receipt.created_at}
        if check is None or check.status == TaskStatus.CANCELLED:
            return Feedback(**base, stage="已登记")
        if check.status == TaskStatus.OPEN:
            return Feedback(**base, stage="正在核查", due_at=check.due_at)
        found = dict(check.submitted or {})
        finding = {"finding": found.get("hecha_jieguo"), "feedback": found.get("fankui_jubaoren")}
        decision = session.scalar(
            select(Task)
            .where(
                Task.instance_id == receipt.instance_id,
                Task.form_key == DECISION_FORM,
                Task.created_at >= check.completed_at,
            )
            .order_by(Task.created_at, Task.id)
            .limit(1)
        )
        if decision is None or decision.status != TaskStatus.COMPLETED:
            return Feedback(**base, stage="已核查，待决定", **finding)
        decided = dict(decision.submitted or {})
        return Feedback(
            **base,
            stage="已作出决定",
            **finding,
            decision=decided.get("yiyi_jueding"),
            decision_reason=decided.get("yiyi_jueding_shuoming"),
        )


# Shared ---------------------------------------------------------------------------------------


def _open_intake(session: Session, instance_id: str, forms: tuple[str, ...]) -> Task:
    """The case's open intake step, read again under the instance lock."""
    task = session.scalar(
        select(Task)
        .where(Task.instance_id == instance_id, Task.form_key.in_(forms), Task.status == TaskStatus.OPEN)
        .order_by(Task.created_at.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if task is None:
        raise NotFound("该公告或公示已结束或不存在，请回到公告栏查看正在进行的公告和公示")
    return task


def _system_user(session: Session, who: Principal) -> None:
    """The intake's account exists (names in the timeline are looked up by username)."""
    if session.scalar(select(User.id).where(User.username == who.username)) is None:
        session.add(User(username=who.username, display_name=who.display_name, is_system=True))
        session.flush()
