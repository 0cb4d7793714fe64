"""Process test cases next to the diagram (processes/tests/<process>/<case>.json): a designer's
check that a changed diagram still runs its procedure, written as data, not Python.

A case starts an instance, completes user tasks as named users with the data given, moves a
simulated clock (firing the timers that fall due), then compares the path taken and the final
data with what it expects. Each case runs in a database of its own — a copy of a freshly
migrated SQLite file on a memory-backed temporary directory, with the sources deployed — so it
never touches real data; the service's own use cases (start, complete, fire timers) drive it,
exactly as a request would. A failure names the step and the difference, never a traceback.
The format is described in docs/process-tests.md and processes/tests/case-format.json.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import logging
import shutil
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import jsonschema
from sqlalchemy import select

from service.config import PROJECT_ROOT, Settings
from service.container import Container
from service.domain.status import InstanceStatus
from service.domain.workdays import add_workdays
from service.engine.parser import SourceFile
from service.services import definitions, files, instances, tasks, timers
from service.services.accounts import principal_of
from service.services.authorization import require_admin_or_roles
from service.services.errors import Invalid, NotFound, ServiceError
from service.services.organisations import DEFAULT_ORGANISATION_ID
from service.services.principal import Principal
from service.store.db import Database
from service.store.migrate import upgrade
from service.store.models import DeploymentFile, Role, RoleGrant, Task, User
from service.timeutil import SHANGHAI, SimulatedClock, simulated_clock

log = logging.getLogger(__name__)

CASES_DIR = PROJECT_ROOT / "processes" / "tests"
# Not named *.schema.json: `xuanpin deploy processes` would take it for a form.
SCHEMA_PATH = CASES_DIR / "case-format.json"
DEPLOYABLE = (".bpmn", ".dmn", ".schema.json")
# The smallest files the upload check recognises by content: what {"$file": "name.pdf"} attaches.
_PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
_RUNNER = Principal(username="process-test", is_admin=True)


class CaseInvalid(ServiceError):
    """A case file that is not JSON or does not follow case-format.json."""

    status = 422
    title = "测试用例格式有误"


@dataclass(frozen=True)
class Difference:
    path: str  # where in the data ("$.kaocha_duixiang", "path[3]")
    expected: Any
    actual: Any

    def describe(self) -> str:
        return f"{self.path}：期望 {_show(self.expected)}，实际 {_show(self.actual)}"


@dataclass(frozen=True)
class Failure:
    """`step`: 1-based index in the case's steps; 0 is the start, None the final expectations."""

    step: int | None
    label: str
    message: str
    differences: list[Difference] = field(default_factory=list)


@dataclass
class CaseResult:
    name: str
    file: str
    process: str
    failure: Failure | None = None
    path: list[str] = field(default_factory=list)  # user-task ids completed, in order
    ends: list[str] = field(default_factory=list)  # end events reached (main process and called ones)
    status: str = ""
    open_tasks: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    process: str
    body: dict[str, Any]


class _StepFailed(Exception):
    def __init__(self, message: str, differences: list[Difference] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.differences = differences or []


# Loading -------------------------------------------------------------------------------------


def case_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def parse_case(content: bytes | str, file: str, process: str | None = None) -> Case:
    """A case from its JSON text; `process` (the folder's name) unless the case names its own."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise CaseInvalid(f"测试用例 {file} 不是有效的 JSON：{error}", errors={file: [str(error)]}) from None
    validator = jsonschema.Draft202012Validator(case_schema())
    problems = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if problems:
        messages = [f"{_json_path(e.absolute_path)}：{e.message}" for e in problems]
        raise CaseInvalid(f"测试用例 {file} 不符合格式（{messages[0]}）", errors={file: messages})
    key = body.get("process") or process
    if not key:
        raise CaseInvalid(
            f"测试用例 {file} 没有写明流程（process），也不在流程目录中", errors={file: ["缺少 process"]}
        )
    return Case(name=body.get("name") or Path(file).stem, file=file, process=key, body=body)


def discover(path: Path) -> list[Case]:
    """One case file, one process folder, or every process folder under processes/tests."""
    if path.is_file():
        return [parse_case(path.read_bytes(), str(path), path.parent.name)]
    if not path.is_dir():
        raise CaseInvalid(f"{path} 不存在", errors={str(path): ["不存在"]})
    return [
        parse_case(file.read_bytes(), str(file), file.parent.name)
        for file in sorted(path.rglob("*.json"))
        if file.name != SCHEMA_PATH.name
    ]


def cases_of(process: str, cases_dir: Path = CASES_DIR) -> list[Case]:
    folder = cases_dir / process
    return discover(folder) if folder.is_dir() else []


# Sources -------------------------------------------------------------------------------------


def sources_from_disk(*folders: Path) -> list[SourceFile]:
    """The diagrams, decision tables and forms of the repository (processes/ and forms/)."""
    found: list[SourceFile] = []
    for folder in folders or (PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"):
        for path in sorted(folder.glob("*")):
            if path.is_file() and path.name.endswith(DEPLOYABLE):
                found.append(SourceFile(path.name, path.read_bytes()))
    return found


def deployed_sources(db: Database) -> list[SourceFile]:
    """What is deployed now: the latest version of every process with its decision tables and
    forms, as files the isolated database deploys again."""
    found: dict[str, SourceFile] = {}
    for definition in definitions.latest_definitions(db):
        with db.transaction() as session:
            rows = session.scalars(
                select(DeploymentFile).where(DeploymentFile.deployment_id == definition.deployment_id)
            ).all()
            for row in rows:
                if row.filename == definition.bpmn_filename or row.filename.lower().endswith(".dmn"):
                    found.setdefault(row.filename, SourceFile(row.filename, _bytes(row.content)))
        for form_key, schema in (definition.forms or {}).items():
            name = f"{form_key}.schema.json"
            found.setdefault(name, SourceFile(name, json.dumps(schema, ensure_ascii=False).encode()))
    return list(found.values())


def with_candidate(sources: list[SourceFile], candidate: list[SourceFile], key: str) -> list[SourceFile]:
    """The sources with a not yet deployed diagram (and its forms) in place of the deployed ones:
    a candidate .bpmn replaces the file that defines process `key`."""
    replaced = {f.filename for f in candidate}
    if any(f.kind == "bpmn" for f in candidate):
        replaced |= {f.filename for f in sources if f.kind == "bpmn" and _defines(f, key)}
    return [f for f in sources if f.filename not in replaced] + list(candidate)


def _defines(source: SourceFile, key: str) -> bool:
    return f'id="{key}"'.encode() in source.content and b"<bpmn:process" in source.content


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


# Isolated databases --------------------------------------------------------------------------

_templates: dict[str, Path] = {}  # newest last; a server keeps only the last few (memory)
_KEPT_TEMPLATES = 4
_template_lock = threading.Lock()  # requests of one process build a template once, not twice
_workdir: Path | None = None


def _scratch() -> Path:
    """A temporary directory, in memory where the system offers one (/dev/shm)."""
    global _workdir
    if _workdir is None:
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() else None
        _workdir = Path(tempfile.mkdtemp(prefix="xuanpin-process-tests-", dir=base))
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def _template(sources: list[SourceFile], settings: Settings) -> Path:
    """A migrated database with `sources` deployed, built once per set of sources; every case
    starts from a copy of it (migrating takes seconds, copying milliseconds)."""
    digest = hashlib.sha256()
    for source in sorted(sources, key=lambda f: f.filename):
        digest.update(source.filename.encode() + b"\0" + source.content + b"\0")
    key = digest.hexdigest()[:16]
    with _template_lock:
        if key in _templates and _templates[key].exists():
            _templates[key] = _templates.pop(key)
            return _templates[key]
        path = _scratch() / f"template-{key}.sqlite3"
        building = path.with_name(f"building-{uuid.uuid4().hex[:8]}.sqlite3")
        db = Database(f"sqlite:///{building}")
        try:
            upgrade(db)
            definitions.deploy(
                db, _RUNNER, sources, source="xuanpin test-process", observer_roles=settings.observer_roles
            )
        except BaseException:
            _remove(building)
            raise
        finally:
            db.dispose()
        building.replace(path)
        _templates[key] = path
        while len(_templates) > _KEPT_TEMPLATES:
            _remove(_templates.pop(next(iter(_templates))))
        return path


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# An empty database for one case, given by URL (the test suite's PostgreSQL schema per case).
EmptyDatabase = Callable[[], AbstractContextManager[str]]


def _isolated_settings(settings: Settings, url: str) -> Settings:
    # Nothing leaves the case's database: no scheduler, no mail (webhooks wait in its outbox).
    return replace(settings, database_url=url, scheduler_enabled=False, smtp_host="")


@contextmanager
def _isolated(
    sources: list[SourceFile], settings: Settings, empty: EmptyDatabase | None
) -> Iterator[Container]:
    """The case's own database with `sources` deployed: by default a copy of a SQLite template;
    or an empty database `empty` gives, migrated and deployed for this case alone."""
    if empty is not None:
        with empty() as url:
            db = Database(url)
            try:
                upgrade(db)
                definitions.deploy(
                    db,
                    _RUNNER,
                    sources,
                    source="xuanpin test-process",
                    observer_roles=settings.observer_roles,
                )
            finally:
                db.dispose()
            app = Container.build(_isolated_settings(settings, url))
            try:
                yield app
            finally:
                app.db.dispose()
        return
    template = _template(sources, settings)
    copy = template.with_name(f"case-{uuid.uuid4().hex[:12]}.sqlite3")
    with _template_lock:  # not while a newer template pushes this one out
        shutil.copyfile(template, copy)
    app = Container.build(_isolated_settings(settings, f"sqlite:///{copy}"))
    try:
        yield app
    finally:
        app.db.dispose()
        _remove(copy)


# Running -------------------------------------------------------------------------------------


def run_cases(
    cases: Iterable[Case],
    sources: list[SourceFile],
    settings: Settings | None = None,
    empty_database: EmptyDatabase | None = None,
) -> list[CaseResult]:
    """Every case against the same sources, each in a database of its own."""
    settings = settings or Settings()
    results = []
    for case in cases:
        try:
            chain = _chain(case)  # the cases whose instance this one starts from, earliest first
            case_sources = with_extra_sources(sources, case)
        except CaseInvalid as error:
            results.append(
                CaseResult(case.name, case.file, case.process, failure=Failure(0, "用例", error.detail))
            )
            continue
        try:
            with _isolated(case_sources, settings, empty_database) as app:
                results.append(run_case(case, chain, app))
        except ServiceError as error:
            # The diagram itself does not deploy: the case fails on it, with the deploy's reason.
            reason = Failure(0, "部署", f"流程无法部署：{error.detail}", _error_differences(error))
            results.append(CaseResult(case.name, case.file, case.process, failure=reason))
    return results


def with_extra_sources(sources: list[SourceFile], case: Case) -> list[SourceFile]:
    """`sources` of a case: files the case needs besides the process's own, such as a small
    caller for a subprocess that cannot be started alone (公示), relative to the case's file."""
    extra = case.body.get("sources", [])
    if not extra:
        return sources
    folder = Path(case.file).parent if Path(case.file).is_file() else CASES_DIR / case.process
    added = []
    for name in extra:
        path = (folder / name).resolve()
        if not path.is_file() or not path.is_relative_to(PROJECT_ROOT):
            raise CaseInvalid(f"测试用例 {case.file} 的 sources 中 {name} 不存在", errors={case.file: [name]})
        added.append(SourceFile(path.name, path.read_bytes()))
    names = {f.filename for f in added}
    return [f for f in sources if f.filename not in names] + added


def run_case(case: Case, chain: list[Case], app: Container) -> CaseResult:
    """One case (the last of `chain`) on its own database; every error becomes its failure."""
    result = CaseResult(case.name, case.file, case.process)
    with simulated_clock(_moment(chain[0].body["clock"])) as clock:
        runner = _Run(app, clock, result)
        step: int | None = 0
        label = "启动流程"
        try:
            source_id: str | None = None
            for earlier in chain[:-1]:
                label = f"前置用例 {Path(earlier.file).name}"
                source_id = runner.play(earlier, source_id)
            label = "启动流程"
            body = case.body
            runner.add_users(body.get("users", {}))
            if _moment(body["clock"]) > clock.now:
                clock.move_to(_moment(body["clock"]))
            instance_id = runner.start(case.process, body.get("start", {}), source_id)
            for step, item in enumerate(body.get("steps", []), start=1):  # noqa: B007 (the failure names it)
                label = _label(item)
                runner.step(instance_id, item)
            step, label = None, "最终结果"
            runner.finish(instance_id, body.get("expect", {}))
        except _StepFailed as failed:
            result.failure = Failure(step, label, failed.message, failed.differences)
        except ServiceError as error:
            result.failure = Failure(step, label, error.detail, _error_differences(error))
        except Exception as error:  # a defect of the service, not of the case: still a report
            log.exception("process test %s failed at step %s", case.file, step)
            result.failure = Failure(step, label, f"内部错误 {type(error).__name__}：{error}")
    return result


def _chain(case: Case, seen: tuple[str, ...] = ()) -> list[Case]:
    """`start.from_case`: the case (a file beside this one) whose instance is this one's source
    (a recruitment started from its approved annual plan, batch 2 from batch 1)."""
    earlier = case.body.get("start", {}).get("from_case")
    if not earlier:
        return [case]
    folder = Path(case.file).parent if Path(case.file).is_file() else CASES_DIR / case.process
    path = (folder / earlier).resolve()
    if str(path) in seen or len(seen) > 5:
        raise CaseInvalid(
            f"测试用例 {case.file} 的 from_case 循环引用", errors={case.file: ["from_case 循环"]}
        )
    if not path.is_file():
        raise CaseInvalid(
            f"测试用例 {case.file} 的前置用例 {earlier} 不存在", errors={case.file: ["from_case"]}
        )
    before = parse_case(path.read_bytes(), str(path), path.parent.name)
    return [*_chain(before, (*seen, str(path))), case]


class _Run:
    """One case on its own database: the accounts it names, its instance, its clock."""

    def __init__(self, app: Container, clock: SimulatedClock, result: CaseResult):
        self.app = app
        self.clock = clock
        self.result = result
        self.principals: dict[str, Principal] = {}
        self.recording = True

    def add_users(self, users: dict[str, list[str]]) -> None:
        for username, roles in users.items():
            self._account(username, roles)

    def play(self, case: Case, source_id: str | None) -> str:
        """An earlier case of the chain, its expectations left to its own run: its instance."""
        self.recording = False  # its steps are not this case's path
        self.add_users(case.body.get("users", {}))
        if _moment(case.body["clock"]) > self.clock.now:
            self.clock.move_to(_moment(case.body["clock"]))
        instance_id = self.start(case.process, case.body.get("start", {}), source_id)
        for item in case.body.get("steps", []):
            self.step(instance_id, item)
        self.recording = True
        return instance_id

    # accounts
    def _account(self, username: str, roles: list[str]) -> Principal:
        with self.app.db.transaction(write=True) as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, display_name=username, password_hash="!", is_admin=False)
                session.add(user)
            held = {grant.role.name for grant in user.grants}
            for name in roles:
                if name in held:
                    continue
                role = session.scalar(select(Role).where(Role.name == name)) or Role(name=name)
                user.grants.append(RoleGrant(role=role, organisation_id=DEFAULT_ORGANISATION_ID))
            session.flush()
            principal = principal_of(session, user)
        self.principals[username] = principal
        return principal

    def _principal(self, item: dict[str, Any]) -> Principal:
        if "user" in item:
            username = item["user"]
            if username not in self.principals:
                raise _StepFailed(f"账号「{username}」不在用例的 users 中，请在 users 中写明其角色")
            return self.principals[username]
        role = item["role"]
        return self.principals.get(f"[{role}]") or self._account(f"[{role}]", [role])

    # start
    def start(self, key: str, start: dict[str, Any], source_id: str | None = None) -> str:
        principal = self._principal(start) if ("user" in start or "role" in start) else _RUNNER
        data = self._attach(principal, start.get("data", {}))
        instance = instances.start(
            self.app, principal, key, start.get("business_key"), data, source_instance_id=source_id
        )
        return instance.id

    # one step
    def step(self, instance_id: str, item: dict[str, Any]) -> None:
        if "clock" in item:
            self._move_clock(item["clock"])
            return
        principal = self._principal(item)
        try:
            task = self._find_task(instance_id, item, principal)
        except _StepFailed:
            if item.get("expect_refusal"):  # not open (any more) for this user: refused too
                return
            raise
        data = self._attach(principal, item.get("data", {}))
        try:
            tasks.complete(self.app, principal, task.id, data)
        except ServiceError as error:
            if item.get("expect_refusal"):
                return
            raise _StepFailed(
                f"办理「{task.title}」（{task.name}）被拒绝：{error.detail}", _error_differences(error)
            ) from None
        if item.get("expect_refusal"):
            raise _StepFailed(f"期望办理「{task.title}」（{task.name}）被拒绝，实际被接受")
        if self.recording:
            self.result.path.append(task.name)
        if "expect_open" in item:
            self._compare_open(instance_id, item["expect_open"])

    def _find_task(self, instance_id: str, item: dict[str, Any], principal: Principal) -> Task:
        open_rows = instances.open_tasks_of(self.app, instance_id)
        named = [t for t in open_rows if t.name == item["task"]]
        if not named:
            raise _StepFailed(
                f"任务 {item['task']} 不在待办中",
                [Difference("open_tasks", [item["task"]], sorted({t.name for t in open_rows}))],
            )
        if "where" in item:
            named = [t for t in named if _matches(item["where"], self._task_data(t))]
            if not named:
                raise _StepFailed(f"任务 {item['task']} 没有数据符合 where {_show(item['where'])} 的实例")
        if "index" in item:
            if item["index"] >= len(named):
                raise _StepFailed(
                    f"任务 {item['task']} 只有 {len(named)} 个待办实例，没有第 {item['index']} 个"
                )
            return named[item["index"]]
        mine = [t for t in named if tasks.can_act(principal, t)]
        if not mine:
            holders = sorted({t.assignee or t.role or "" for t in named})
            raise _StepFailed(
                f"「{principal.username}」不能办理任务 {item['task']}（办理人/角色：{'、'.join(holders)}）"
            )
        return mine[0]

    def _task_data(self, task: Task) -> dict[str, Any]:
        detail = tasks.get_task(self.app, _RUNNER, task.id)
        return {**detail.data, **detail.context}

    def _attach(self, principal: Principal, value: Any) -> Any:
        """{"$file": "name.pdf"} becomes an attachment the acting user has just uploaded."""
        if isinstance(value, dict):
            if set(value) == {"$file"}:
                stored = files.upload(self.app, principal, value["$file"], _placeholder(value["$file"]))
                return {"file_id": stored.id, "filename": value["$file"]}
            return {k: self._attach(principal, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._attach(principal, v) for v in value]
        return value

    # the clock
    def _move_clock(self, move: dict[str, Any]) -> None:
        now = self.clock.now.astimezone(SHANGHAI)
        if "to" in move:
            target = _moment(move["to"])
        elif "working_days" in move:
            end = add_workdays(self.app.calendar.get(), now.date(), move["working_days"]).end_date
            target = datetime.combine(end, now.timetz())
        else:
            target = now + timedelta(days=move.get("days", 0), hours=move.get("hours", 0))
        if target < now:
            raise _StepFailed(f"时钟只能向后拨：现在 {now:%Y-%m-%d %H:%M}，目标 {target:%Y-%m-%d %H:%M}")
        self.clock.move_to(target)
        fired = timers.fire_due(self.app, "process-test", now=self.clock.now)
        if "expect_fired" in move and fired != move["expect_fired"]:
            raise _StepFailed(
                f"拨到 {target:%Y-%m-%d %H:%M} 后触发的定时事件数不符",
                [Difference("fired", move["expect_fired"], fired)],
            )

    # the end
    def finish(self, instance_id: str, expect: dict[str, Any]) -> None:
        detail = instances.get_instance(self.app, _RUNNER, instance_id)
        self.result.status = detail.instance.status
        self.result.ends = [s.name for s in detail.completed_steps if s.kind == "EndEvent"]
        self.result.open_tasks = sorted(t.name for t in detail.open_tasks)
        differences: list[Difference] = []
        if "path" in expect and expect["path"] != self.result.path:
            differences.append(Difference("path", expect["path"], self.result.path))
        if "end" in expect:
            if detail.instance.status != InstanceStatus.COMPLETED:
                differences.append(Difference("status", InstanceStatus.COMPLETED, detail.instance.status))
            if expect["end"] not in self.result.ends:
                differences.append(Difference("end", expect["end"], self.result.ends))
        if "status" in expect and expect["status"] != detail.instance.status:
            differences.append(Difference("status", expect["status"], detail.instance.status))
        if "open_tasks" in expect and sorted(expect["open_tasks"]) != self.result.open_tasks:
            differences.append(Difference("open_tasks", sorted(expect["open_tasks"]), self.result.open_tasks))
        if "data" in expect:
            differences += subset_differences(expect["data"], detail.data, "$")
        if differences:
            raise _StepFailed(f"结果与期望不符（{len(differences)} 处）", differences)

    def _compare_open(self, instance_id: str, expected: list[str]) -> None:
        actual = sorted({t.name for t in instances.open_tasks_of(self.app, instance_id)})
        if sorted(set(expected)) != actual:
            raise _StepFailed(
                "办理后的待办与期望不符", [Difference("open_tasks", sorted(set(expected)), actual)]
            )


# Comparing -----------------------------------------------------------------------------------


def subset_differences(expected: Any, actual: Any, path: str = "$") -> list[Difference]:
    """Where `actual` does not contain `expected`: objects by the keys expected (others are
    ignored), lists element by element with the same length, everything else by equality."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Difference(path, expected, actual)]
        found: list[Difference] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(Difference(f"{path}.{key}", value, "（无此项）"))
            else:
                found += subset_differences(value, actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [Difference(path, expected, actual)]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in subset_differences(e, a, f"{path}[{i}]")
        ]
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return [Difference(path, expected, actual)]
    return []


def _matches(where: dict[str, Any], data: dict[str, Any]) -> bool:
    return not subset_differences(where, data)


# Helpers -------------------------------------------------------------------------------------


def _moment(value: str) -> datetime:
    """ "2026-03-10" is the start of that day, a time without offset is Beijing time."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0, 0), SHANGHAI)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _placeholder(filename: str) -> bytes:
    lowered = filename.lower()
    if lowered.endswith(".png"):
        return _PNG
    if lowered.endswith((".jpg", ".jpeg")):
        return _JPEG
    if lowered.endswith((".docx", ".xlsx")):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            package.writestr("[Content_Types].xml", "<Types/>")
            part = "word/document.xml" if lowered.endswith(".docx") else "xl/workbook.xml"
            package.writestr(part, "<document/>")
        return buffer.getvalue()
    return _PDF


def _label(item: dict[str, Any]) -> str:
    if "clock" in item:
        move = item["clock"]
        if "to" in move:
            return f"时钟拨到 {move['to']}"
        if "working_days" in move:
            return f"时钟前进 {move['working_days']} 个工作日"
        return f"时钟前进 {move.get('days', 0)} 天 {move.get('hours', 0)} 小时"
    who = item.get("user") or f"角色 {item.get('role')}"
    return f"{who} 办理 {item['task']}"


def _error_differences(error: ServiceError) -> list[Difference]:
    return [
        Difference(str(where), "（有效的值）", message)
        for where, messages in (error.errors or {}).items()
        for message in messages
    ]


def _json_path(parts: Iterable[Any]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "…"


def describe(result: CaseResult) -> list[str]:
    """Lines a person reads: the case, then where and how it failed."""
    mark = "通过 PASS" if result.passed else "失败 FAIL"
    lines = [f"{mark}  {result.process} / {result.name}  （{_relative(result.file)}）"]
    failure = result.failure
    if failure is None:
        return lines
    where = "最终结果" if failure.step is None else ("启动" if failure.step == 0 else f"第 {failure.step} 步")
    lines.append(f"    {where}（{failure.label}）：{failure.message}")
    lines += [f"      - {difference.describe()}" for difference in failure.differences]
    return lines


def _relative(file: str) -> str:
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file


def as_json(result: CaseResult) -> dict[str, Any]:
    failure = result.failure
    return {
        "name": result.name,
        "file": result.file,
        "process": result.process,
        "passed": result.passed,
        "path": result.path,
        "ends": result.ends,
        "status": result.status,
        "open_tasks": result.open_tasks,
        "failure": None
        if failure is None
        else {
            "step": failure.step,
            "label": failure.label,
            "message": failure.message,
            "differences": [
                {"path": d.path, "expected": d.expected, "actual": d.actual} for d in failure.differences
            ],
        },
    }


# The workbench -------------------------------------------------------------------------------


def run_for_process(
    db: Database,
    principal: Principal,
    key: str,
    settings: Settings,
    candidate: list[SourceFile] | None = None,
    uploaded_cases: list[SourceFile] | None = None,
    cases_dir: Path = CASES_DIR,
) -> list[CaseResult]:
    """A process's cases (those uploaded, else processes/tests/<key>/) against what is deployed,
    or against a candidate diagram and forms not yet deployed, before a designer deploys it."""
    require_admin_or_roles(principal, settings.designer_roles, "运行流程测试用例")
    candidate = candidate or []
    unknown = [f.filename for f in candidate if f.kind not in ("bpmn", "dmn", "form")]
    if unknown:
        raise Invalid(
            f"不支持的文件类型：{'、'.join(unknown)}（只接受 .bpmn、.dmn 和 表单 .schema.json）",
            errors={"files": [f"{name}：不支持的文件类型" for name in unknown]},
        )
    if uploaded_cases:
        cases = [parse_case(f.content, f.filename, key) for f in uploaded_cases]
    else:
        cases = cases_of(key, cases_dir)
    if not cases:
        raise NotFound(
            f"流程 {key} 没有测试用例：请在 processes/tests/{key}/ 中添加，或随请求上传（字段 cases）"
        )
    others = [c.file for c in cases if c.process != key]
    if others:
        raise Invalid(
            f"测试用例 {'、'.join(others)} 属于其他流程，不是 {key}", errors={"cases": ["流程不符"]}
        )
    sources = deployed_sources(db)
    if not any(f.kind == "bpmn" for f in candidate) and not any(_defines(f, key) for f in sources):
        raise NotFound(f"流程定义 {key} 不存在：请先部署，或随请求上传待测的 BPMN（字段 files）")
    return run_cases(cases, with_candidate(sources, candidate, key), settings)
