"""Deploying process definitions: validate, then store a new immutable version per changed key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.domain.status import InstanceStatus
from service.engine.diagram_diff import ElementChange, FormChange, diff_diagrams, diff_forms
from service.engine.errors import DefinitionError
from service.engine.parser import ParsedProcess, SourceFile, canonical_json, parse_definitions
from service.forms import FormSchemaError, form_key_of, load_form_schema
from service.services import audit
from service.services.authorization import require_admin_or_roles
from service.services.errors import Conflict, Invalid, NotFound
from service.services.principal import Principal
from service.store.db import Database
from service.store.models import Deployment, DeploymentFile, Instance, ProcessDefinition


@dataclass(frozen=True)
class DeployedVersion:
    key: str
    version: int
    name: str
    created: bool
    definition_id: int = 0
    deployment_id: int | None = None  # the deployment that created this version


def deploy(
    db: Database,
    principal: Principal,
    files: Iterable[SourceFile],
    designer_roles: tuple[str, ...] = (),
    name: str = "",
    source: str = "",
    observer_roles: tuple[str, ...] = (),
) -> list[DeployedVersion]:
    """`designer_roles` may deploy besides admins (process designers, 设计人员); no user task may
    be given to one of the `observer_roles` (X-01: they oversee, they do not work)."""
    require_admin_or_roles(principal, designer_roles, "部署流程定义")
    files = list(files)
    processes, forms = _checked(files, observer_roles)
    try:
        return _store_versions(db, principal, files, forms, processes, name, source)
    except IntegrityError:
        raise Conflict(
            "另一个部署同时写入了同一流程的新版本，请重新部署（内容未变时不会产生新版本）"
        ) from None


def check(
    db: Database,
    principal: Principal,
    files: Iterable[SourceFile],
    designer_roles: tuple[str, ...] = (),
    observer_roles: tuple[str, ...] = (),
) -> list[ParsedProcess]:
    """Every check `deploy` makes (XML, references, sandbox compilation, reserved ids, observers,
    forms) without storing anything: the designer's 校验 before a deployment."""
    require_admin_or_roles(principal, designer_roles, "校验流程定义")
    files = list(files)
    processes, forms = _checked(files, observer_roles)
    with db.transaction() as session:
        for process in processes:
            _resolve_forms(session, process.form_keys, forms, process.key)
    return processes


def _checked(
    files: list[SourceFile], observer_roles: tuple[str, ...]
) -> tuple[list[ParsedProcess], dict[str, dict[str, Any]]]:
    if not files:
        raise Invalid(
            "请以 multipart/form-data 上传字段 files：至少一个 .bpmn 文件", errors={"files": ["未收到文件"]}
        )
    unknown = [f.filename for f in files if f.kind == "unknown"]
    if unknown:
        raise Invalid(
            f"不支持的文件类型：{'、'.join(unknown)}（只接受 .bpmn、.dmn 和 表单 .schema.json）",
            errors={"files": [f"{name}：不支持的文件类型" for name in unknown]},
        )
    forms = _uploaded_forms(files)
    try:
        processes = parse_definitions(files)
    except DefinitionError as error:
        location = error.location()
        raise Invalid(
            f"{error.message}" + (f"（{location}）" if location else ""),
            errors={error.filename or "files": [error.message]},
            file=error.filename,
            element_id=error.element_id,
            line=error.line,
        ) from None
    if not processes:
        raise Invalid("上传的文件中没有 BPMN 流程", errors={"files": ["至少需要一个 .bpmn 文件"]})
    for process in processes:
        _check_no_work_for_observers(process, observer_roles)
    return processes, forms


def _check_no_work_for_observers(process: ParsedProcess, observer_roles: tuple[str, ...]) -> None:
    given = {role: titles for role, titles in process.task_roles.items() if role in observer_roles}
    if given:
        listed = "；".join(f"「{'」「'.join(titles)}」交给了 {role}" for role, titles in given.items())
        raise Invalid(
            f"流程 {process.key} 的任务{listed}：监督角色只查看、不办理（X-01），请改由办理角色承担",
            errors={process.bpmn_filename: [f"监督角色 {role} 不能办理任务" for role in given]},
            file=process.bpmn_filename,
        )


def _store_versions(
    db: Database,
    principal: Principal,
    files: list[SourceFile],
    forms: dict[str, dict[str, Any]],
    processes: list[ParsedProcess],
    name: str,
    source: str,
) -> list[DeployedVersion]:
    results = []
    with db.transaction(write=True) as session:
        deployment: Deployment | None = None
        for process in processes:
            process_forms = _resolve_forms(session, process.form_keys, forms, process.key)
            content_hash = hashlib.sha256(
                canonical_json({"sources": process.source_hashes, "forms": process_forms}).encode()
            ).hexdigest()
            latest = _latest(session, process.key)
            if latest is not None and latest.content_hash == content_hash:
                results.append(
                    DeployedVersion(
                        latest.key, latest.version, latest.name, False, latest.id, latest.deployment_id
                    )
                )
                continue
            if deployment is None:
                deployment = Deployment(deployed_by=principal.username, name=name[:200], source=source[:100])
                session.add(deployment)
                for source in files:
                    session.add(
                        DeploymentFile(
                            deployment=deployment,
                            filename=source.filename,
                            kind=source.kind,
                            content=source.content.decode("utf-8"),
                            content_hash=hashlib.sha256(source.content).hexdigest(),
                        )
                    )
            version = (latest.version + 1) if latest is not None else 1
            definition = ProcessDefinition(
                key=process.key,
                version=version,
                name=process.name,
                content_hash=content_hash,
                deployment=deployment,
                bpmn_filename=process.bpmn_filename,
                spec=process.spec,
                forms=process_forms,
                starter_groups=process.starter_groups,
                starter_users=process.starter_users,
                own_records=process.own_records,
                data_policy=process.data_policy,
                start_rights=process.start_rights,
            )
            session.add(definition)
            session.flush()
            audit.record(session, principal.username, "definition.deployed", key=process.key, version=version)
            results.append(
                DeployedVersion(process.key, version, process.name, True, definition.id, deployment.id)
            )
    return results


def _uploaded_forms(files: list[SourceFile]) -> dict[str, dict[str, Any]]:
    forms = {}
    for source in files:
        if source.kind != "form":
            continue
        key = form_key_of(source.filename)
        if key is None:
            raise Invalid(
                f"表单文件 {source.filename} 的名称应为 <formKey>.schema.json",
                errors={source.filename: ["文件名应为 <formKey>.schema.json"]},
            )
        try:
            forms[key] = load_form_schema(source.filename, source.content)
        except FormSchemaError as error:
            raise Invalid(str(error), errors={source.filename: [str(error)]}) from None
    return forms


def _resolve_forms(
    session: Session, keys: set[str], uploaded: dict[str, dict[str, Any]], process_key: str
) -> dict[str, dict[str, Any]]:
    """Forms come with the upload; a form not uploaded again is taken from its last deployment."""
    resolved = {}
    missing = []
    for key in sorted(keys):
        if key in uploaded:
            resolved[key] = uploaded[key]
            continue
        previous = session.scalar(
            select(DeploymentFile)
            .where(DeploymentFile.kind == "form", DeploymentFile.filename.like(f"%{key}.schema.json"))
            .order_by(DeploymentFile.id.desc())
            .limit(1)
        )
        if previous is not None and form_key_of(previous.filename) == key:
            resolved[key] = load_form_schema(previous.filename, previous.content.encode("utf-8"))
        else:
            missing.append(key)
    if missing:
        names = "、".join(f"forms/{k}.schema.json" for k in missing)
        raise Invalid(
            f"流程 {process_key} 引用的表单未找到：{names}；请与流程一起上传",
            errors={"files": [f"缺少表单 {k}.schema.json" for k in missing]},
        )
    return resolved


def _latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def latest_definitions(db: Database) -> list[ProcessDefinition]:
    with db.transaction() as session:
        newest = (
            select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
            .group_by(ProcessDefinition.key)
            .subquery()
        )
        rows = session.scalars(
            select(ProcessDefinition)
            .join(
                newest,
                (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version),
            )
            .order_by(ProcessDefinition.key)
        )
        return list(rows)


@dataclass
class VersionInfo:
    """One version with who deployed it and how many of its instances are still running."""

    definition: ProcessDefinition
    deployed_by: str
    deployment_name: str
    running: int
    deployed_at: Any = None


def versions(db: Database, key: str) -> list[VersionInfo]:
    with db.transaction() as session:
        running = (
            select(Instance.definition_id, func.count().label("n"))
            .where(Instance.definition_key == key, Instance.status.notin_(("completed", "cancelled")))
            .group_by(Instance.definition_id)
            .subquery()
        )
        rows = session.execute(
            select(
                ProcessDefinition, Deployment.deployed_by, Deployment.name, running.c.n, Deployment.created_at
            )
            .join(Deployment, Deployment.id == ProcessDefinition.deployment_id)
            .outerjoin(running, running.c.definition_id == ProcessDefinition.id)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        ).all()
    if not rows:
        raise NotFound(f"流程定义 {key} 不存在")
    return [VersionInfo(definition, by, name, count or 0, at) for definition, by, name, count, at in rows]


@dataclass
class VersionDiff:
    key: str
    from_version: int
    to_version: int
    elements: list[ElementChange]
    forms: list[FormChange]


def diff(db: Database, key: str, from_version: int, to_version: int) -> VersionDiff:
    """What changed from one version to another: elements of the diagram and forms."""
    old_xml, _ = definition_xml(db, key, from_version)
    new_xml, _ = definition_xml(db, key, to_version)
    with db.transaction() as session:
        forms = dict(
            session.execute(
                select(ProcessDefinition.version, ProcessDefinition.forms).where(
                    ProcessDefinition.key == key, ProcessDefinition.version.in_([from_version, to_version])
                )
            ).all()
        )
    return VersionDiff(
        key,
        from_version,
        to_version,
        diff_diagrams(old_xml, new_xml),
        diff_forms(forms.get(from_version) or {}, forms.get(to_version) or {}),
    )


@dataclass(frozen=True)
class RunningCase:
    id: str
    business_key: str | None
    status: str
    created_at: Any


def running_cases(db: Database, key: str, version: int, limit: int = 200) -> list[RunningCase]:
    """The cases of one version that have not ended (the ones a migration would move)."""
    with db.transaction() as session:
        rows = session.execute(
            select(Instance.id, Instance.business_key, Instance.status, Instance.created_at)
            .where(
                Instance.definition_key == key,
                Instance.definition_version == version,
                Instance.status.notin_((InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)),
            )
            .order_by(Instance.created_at)
            .limit(limit)
        ).all()
    return [RunningCase(row.id, row.business_key, str(row.status), row.created_at) for row in rows]


def definition_xml(db: Database, key: str, version: int | None = None) -> tuple[str, str]:
    """The BPMN source of a version (latest by default) and its file name."""
    with db.transaction() as session:
        query = select(ProcessDefinition).where(ProcessDefinition.key == key)
        query = (
            query.where(ProcessDefinition.version == version)
            if version is not None
            else query.order_by(ProcessDefinition.version.desc()).limit(1)
        )
        definition = session.scalar(query)
        if definition is None:
            raise NotFound(f"流程定义 {key}" + (f" 的第 {version} 版" if version else "") + " 不存在")
        source = session.scalar(
            select(DeploymentFile).where(
                DeploymentFile.deployment_id == definition.deployment_id,
                DeploymentFile.filename == definition.bpmn_filename,
            )
        )
        if source is None:
            raise NotFound(f"流程定义 {key} 的 BPMN 文件缺失")
        return source.content, source.filename


def companion_files(db: Database, key: str, version: int, leave_out: Iterable[str]) -> list[SourceFile]:
    """The BPMN and DMN files deployed with a version (called processes, decision tables) except
    `leave_out` (the ones edited in the designer): an edited diagram is checked and deployed
    together with the rest, as it was."""
    leave_out = set(leave_out)
    with db.transaction() as session:
        definition = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.key == key, ProcessDefinition.version == version
            )
        )
        if definition is None:
            raise NotFound(f"流程定义 {key} 的第 {version} 版不存在")
        rows = session.scalars(
            select(DeploymentFile).where(
                DeploymentFile.deployment_id == definition.deployment_id,
                DeploymentFile.kind.in_(("bpmn", "dmn")),
            )
        )
        return [
            SourceFile(row.filename, row.content.encode("utf-8"))
            for row in rows
            if row.filename not in leave_out
        ]


def recent_deployments(db: Database, offset: int, limit: int) -> list[Deployment]:
    with db.transaction() as session:
        query = select(Deployment).order_by(Deployment.id.desc()).offset(offset).limit(limit)
        return list(session.scalars(query))


def deployment(db: Database, deployment_id: int) -> Deployment:
    with db.transaction() as session:
        row = session.get(Deployment, deployment_id)
        if row is None:
            raise NotFound(f"部署 {deployment_id} 不存在")
        return row


def bpmn_filenames(db: Database, definition_ids: list[int]) -> dict[int, str]:
    with db.transaction() as session:
        rows = session.execute(
            select(ProcessDefinition.id, ProcessDefinition.bpmn_filename).where(
                ProcessDefinition.id.in_(definition_ids)
            )
        )
        return {row_id: filename for row_id, filename in rows}
