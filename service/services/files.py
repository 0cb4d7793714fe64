"""Attachments: uploaded files kept in the database (every replica reads them), served only to
the person who uploaded one, admins and observers, and those who may read a task or a case
that refers to it; forms refer to a file by id in a field marked "format": "xuanpin-file"
(service/forms.py), and a submission may only name files its submitter may use."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from service.container import Container
from service.domain.file_types import KINDS, claimed_kind, clean_filename, sniff
from service.domain.status import TaskStatus
from service.forms import declared_fields, file_references, form_context
from service.services import audit
from service.services.errors import Invalid, NotFound, ServiceError
from service.services.principal import Principal
from service.services.visibility import (
    can_see_task,
    instance_visible,
    oversees,
    personal_data_view,
    sees_everything,
    task_visible,
)
from service.store.models import FileReference, Instance, ProcessDefinition, StoredFile, Task

MAX_FILENAME = 255


class PayloadTooLarge(ServiceError):
    status = 413
    title = "上传内容过大"


class UnsupportedType(ServiceError):
    status = 415
    title = "不支持的文件类型"


def size_words(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def allowed_words(app: Container) -> str:
    return "、".join(KINDS[name].label for name in app.settings.upload_types)


def upload(app: Container, principal: Principal, filename: str | None, content: bytes) -> StoredFile:
    """Stores one file after checking its name, size and kind (by content)."""
    stored = accept(app, principal, filename, content)
    with app.db.transaction(write=True) as session:
        store(session, stored)
        session.expunge(stored)
    return stored


def accept(
    app: Container, principal: Principal, filename: str | None, content: bytes, field: str = "file"
) -> StoredFile:
    """The file as it will be stored, once its name, size and kind (by content) are checked;
    raises Invalid (413, 415) with the message under `field`."""
    name = clean_filename(filename or "")
    if not name:
        raise Invalid("上传的文件没有文件名，请选择一个文件再上传", errors={field: ["缺少文件名"]})
    if len(name) > MAX_FILENAME:
        message = f"文件名最多 {MAX_FILENAME} 个字，请改短后再上传"
        raise Invalid(message, errors={field: [message]})
    if not content:
        raise Invalid(f"文件「{name}」是空的（0 字节），请检查后重新上传", errors={field: ["文件为空"]})
    limit = app.settings.max_upload_bytes
    if len(content) > limit:
        raise PayloadTooLarge(
            f"文件「{name}」有 {size_words(len(content))}，超过上限 {size_words(limit)}；请压缩或分开上传",
            errors={field: [f"超过 {size_words(limit)}"]},
            limit_bytes=limit,
        )
    kind = sniff(content)
    if kind is None or kind.name not in app.settings.upload_types:
        what = f"是{kind.label}，" if kind is not None else "不是可识别的文档或图片，"
        raise UnsupportedType(
            f"文件「{name}」{what}不能上传；只接受：{allowed_words(app)}",
            errors={field: ["文件类型不允许"]},
            allowed=list(app.settings.upload_types),
        )
    claimed = claimed_kind(name)
    if claimed is not None and claimed != kind:
        raise UnsupportedType(
            f"文件「{name}」的扩展名表示{claimed.label}，内容却是{kind.label}；请上传原文件或改正扩展名",
            errors={field: ["扩展名与内容不符"]},
            allowed=list(app.settings.upload_types),
        )
    return StoredFile(
        id=str(uuid.uuid4()),
        filename=name,
        content_type=kind.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=principal.username,
        content=content,
    )


def store(session: Session, stored: StoredFile) -> None:
    """Adds an accepted file in the caller's transaction, with its audit row."""
    session.add(stored)
    session.flush()
    audit.record(
        session,
        stored.uploaded_by,
        "file.uploaded",
        file_id=stored.id,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )


def metadata(app: Container, principal: Principal, file_id: str) -> StoredFile:
    with app.db.transaction() as session:
        stored = _readable(app, session, principal, file_id, with_content=False)
        session.expunge(stored)
        return stored


def download(app: Container, principal: Principal, file_id: str) -> StoredFile:
    """The file with its bytes loaded."""
    with app.db.transaction() as session:
        stored = _readable(app, session, principal, file_id, with_content=True)
        session.expunge(stored)
        return stored


def _readable(
    app: Container, session: Session, principal: Principal, file_id: str, with_content: bool
) -> StoredFile:
    query = select(StoredFile).where(StoredFile.id == file_id)
    if with_content:
        query = query.options(undefer(StoredFile.content))
    stored = session.scalar(query)
    # A file one may not read is answered as one that does not exist: its id tells nothing.
    if stored is None or not (
        may_read(session, principal, stored, app.settings.observer_roles)
        or shown_by_open_task(app, session, principal, stored)
    ):
        raise NotFound(f"文件 {file_id} 不存在或您无权查看")
    return stored


def shown_by_open_task(app: Container, session: Session, principal: Principal, stored: StoredFile) -> bool:
    """Whether an open step the person may see shows the file (in its fields or its
    `x-xuanpin-context`) — evidence filed with an objection is read by whoever checks it. Such
    data can live in a called process (公示), outside the case's data, so it is read from the
    engine: only when the cheaper checks of may_read have said no."""
    instance_ids = select(FileReference.instance_id).where(FileReference.file_id == stored.id)
    open_tasks = session.scalars(
        select(Task).where(
            Task.instance_id.in_(instance_ids), Task.status == TaskStatus.OPEN, task_visible(principal)
        )
    ).all()
    runs: dict[str, Any] = {}
    definitions: dict[int, ProcessDefinition] = {}
    for task in open_tasks:
        if not can_see_task(principal, task, app.settings.observer_roles):
            continue
        instance = session.get(Instance, task.instance_id)
        if instance is None:
            continue
        definition = _definition(session, definitions, instance.definition_id)
        if instance.id not in runs:
            runs[instance.id] = app.engine.load(definition.id, lambda d=definition: d.spec, instance.state)
        form = definition.forms.get(task.form_key) if task.form_key else None
        data = runs[instance.id].task_data(task.id)
        names = form_context(form) if form is not None else None
        if names is not None:
            data = {k: data[k] for k in {*names, *declared_fields(form or {})} if k in data}
        shown = personal_data_view(principal, definition.data_policy, app.settings.observer_roles)
        if stored.id in referenced_ids(shown(data), [form] if form else []):
            return True
    return False


def may_read(
    session: Session, principal: Principal, stored: StoredFile, observer_roles: tuple[str, ...]
) -> bool:
    """The uploader, admins and observers; otherwise whoever may read a task whose submitted
    data, or a case whose data, refers to the file — as much of it as they may read (X-05: a
    file in a personal field is not theirs to read when the field is withheld from them)."""
    if stored.uploaded_by == principal.username or oversees(principal, observer_roles, None):
        return True  # a global admin reads any file
    referring = session.execute(
        select(FileReference.instance_id, FileReference.task_id).where(FileReference.file_id == stored.id)
    ).all()
    if not referring:  # in no case yet: observers too; once in cases, those they oversee (below)
        return sees_everything(principal, observer_roles)
    task_ids = {task_id for _, task_id in referring if task_id}
    instance_ids = {instance_id for instance_id, _ in referring}
    definitions: dict[int, ProcessDefinition] = {}
    visible_tasks = select(Task).where(Task.id.in_(task_ids), task_visible(principal))
    tasks = session.scalars(visible_tasks) if task_ids else []
    for task in tasks:
        if not can_see_task(principal, task, observer_roles):
            continue
        instance = session.get(Instance, task.instance_id)
        if instance is None:
            continue
        definition = _definition(session, definitions, instance.definition_id)
        shown = personal_data_view(principal, definition.data_policy, observer_roles)
        form = definition.forms.get(task.form_key) if task.form_key else None
        if stored.id in referenced_ids(shown(dict(task.submitted or {})), [form] if form else []):
            return True
    # The case's data as it is now: a record a script has since removed grants nothing.
    instances = session.scalars(
        select(Instance).where(Instance.id.in_(instance_ids), instance_visible(principal, observer_roles))
    )
    for instance in instances:
        definition = _definition(session, definitions, instance.definition_id)
        shown = personal_data_view(principal, definition.data_policy, observer_roles)
        if stored.id in referenced_ids(shown(dict(instance.data or {})), list(definition.forms.values())):
            return True
    return False


def _definition(
    session: Session, seen: dict[int, ProcessDefinition], definition_id: int
) -> ProcessDefinition:
    if definition_id not in seen:
        found = session.get(ProcessDefinition, definition_id)
        assert found is not None
        seen[definition_id] = found
    return seen[definition_id]


def references(data: Any, forms: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(field path, file id) for every file the data refers to: in fields its forms mark as
    files, and in attachment records ({"file_id", "filename"}) wherever they are — a script
    moves them (揭榜申请 into shenqing_list), and a step without a form takes them as they come.
    What may_read counts as a reference, a submission must be allowed to make."""
    found = [reference for form in forms for reference in file_references(form, data)]
    seen = set(found)
    found += [reference for reference in _attachment_refs(data, "") if reference not in seen]
    return found


def referenced_ids(data: Any, forms: list[Mapping[str, Any]]) -> set[str]:
    return {file_id for _, file_id in references(data, forms)}


def _attachment_refs(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        file_id = value.get("file_id")
        if isinstance(file_id, str) and "filename" in value:
            yield (f"{path}.file_id" if path else "file_id", file_id)
        for key, item in value.items():
            yield from _attachment_refs(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _attachment_refs(item, f"{path}.{index}" if path else str(index))


def check_references(
    session: Session,
    principal: Principal,
    named: list[tuple[str, str]],
    observer_roles: tuple[str, ...],
) -> dict[str, list[str]]:
    """{field path: [message]} for each file id a submission names that is no file the
    submitter uploaded or may read."""
    if not named:
        return {}
    ids = {file_id for _, file_id in named}
    found = session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)))
    usable = {stored.id: may_read(session, principal, stored, observer_roles) for stored in found}
    errors: dict[str, list[str]] = {}
    for where, file_id in named:
        if not usable.get(file_id, False):
            errors.setdefault(where, []).append(
                f"文件编号 {file_id} 不是您上传或有权查看的文件；"
                "请先通过 POST /api/v1/files 上传，再填写返回的编号"
            )
    return errors


def check_submitted_files(
    session: Session,
    principal: Principal,
    data: Mapping[str, Any],
    form: Mapping[str, Any] | None,
    observer_roles: tuple[str, ...],
) -> set[str]:
    """The ids of the files a submission (a task's data, a case's start data) refers to; raises
    Invalid naming each field whose file the submitter may not use — what they submit, everyone
    who reads it could then download."""
    named = references(data, [form] if form else [])
    errors = check_references(session, principal, named, observer_roles)
    if errors:
        raise Invalid(f"有 {len(errors)} 个附件不能使用，请重新上传后再提交", errors=errors)
    return {file_id for _, file_id in named}


def admit(
    session: Session,
    principal: Principal,
    data: Mapping[str, Any],
    form: Mapping[str, Any] | None,
    observer_roles: tuple[str, ...],
    instance_id: str,
    task_id: str,
) -> None:
    """A task's submission: checked (check_submitted_files), then its references recorded."""
    file_ids = check_submitted_files(session, principal, data, form, observer_roles)
    record_references(session, file_ids, instance_id, task_id)


def record_references(session: Session, file_ids: set[str], instance_id: str, task_id: str | None) -> None:
    """Notes that the case (and task) refers to those of the ids that name stored files (a
    source case's snapshot may carry ids of attachments from before files could be uploaded)."""
    if not file_ids:
        return
    stored = session.scalars(select(StoredFile.id).where(StoredFile.id.in_(file_ids)))
    session.add_all(
        FileReference(file_id=file_id, instance_id=instance_id, task_id=task_id) for file_id in sorted(stored)
    )
