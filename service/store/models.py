"""Tables. Instances keep their engine state as JSON text; everything the inbox and
lists need is materialised into indexed columns so no list ever loads a workflow."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from service.timeutil import utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite hands them back naive, this makes them aware again."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        # SQLite compares the stored text, so every value must be written in the same zone.
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


DEFAULT_ORGANISATION_CODE = "default"


class Organisation(Base):
    """A node of the organisation tree (省国资委 → 企业, 区国资管理中心 → 集团 → 企业, 开发区 …).
    `path` lists the ids from the root down to this one ("/1/4/9/"), so a subtree is one
    prefix and the ancestors are read off the node itself."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="", server_default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    path: Mapped[str] = mapped_column(String(500), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def ancestor_ids(self) -> list[int]:
        """From this organisation up to the root."""
        return [int(part) for part in reversed(self.path.strip("/").split("/"))]


class RoleGrant(Base):
    """A user holds a role in an organisation, optionally with its subordinates (a district
    inspector over every enterprise below)."""

    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    with_subordinates: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    role: Mapped[Role] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __table_args__ = (Index("ix_user_roles_role_organisation", "role_id", "organisation_id"),)


class Role(Base):
    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class User(Base):
    """A person (with a password) or a system such as an OA integration (with API tokens only)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A candidate's link to their applications: SHA-256 of the ID number, set by an admin.
    id_number_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the person works: the organisation a case they start belongs to by default.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # An admin of this organisation tree only; None: a global admin.
    admin_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    grants: Mapped[list[RoleGrant]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    # For joins only ("users holding role X"); grants are changed through `grants`.
    roles: Mapped[list[Role]] = relationship(secondary="user_roles", viewonly=True, lazy="raise")

    __table_args__ = (UniqueConstraint("id_number_digest", name="uq_users_id_number_digest"),)

    @property
    def role_names(self) -> list[str]:
        return sorted({grant.role.name for grant in self.grants})


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # An OA system's token confined to this organisation tree; None: the user's own reach.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """A failed password login, kept for the throttling window (services/accounts.py), then pruned."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
        Index("ix_login_failures_at", "at"),
    )


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployed_by: Mapped[str] = mapped_column(String(100))
    # What the client called it ("deployment-name") and what sent it ("Camunda Modeler", "xuanpin deploy").
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    source: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    files: Mapped[list[DeploymentFile]] = relationship(back_populates="deployment", lazy="raise")


class DeploymentFile(Base):
    __tablename__ = "deployment_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn | form
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment: Mapped[Deployment] = relationship(back_populates="files")

    __table_args__ = (Index("ix_deployment_files_kind_filename", "kind", "filename"),)


class ProcessDefinition(Base):
    """One immutable version of one process key."""

    __tablename__ = "process_definitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    deployment: Mapped[Deployment] = relationship(lazy="raise")
    bpmn_filename: Mapped[str] = mapped_column(String(255))
    # The serialized process spec and the specs of everything it calls: stored once per version.
    spec: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only on an engine cache miss
    forms: Mapped[dict] = mapped_column(default=dict)
    starter_groups: Mapped[list] = mapped_column(default=list)
    starter_users: Mapped[list] = mapped_column(default=list)
    # Where the instance data keeps applications and results; None: candidates see nothing.
    own_records: Mapped[dict | None] = mapped_column(JSON)
    # Personal fields and the roles that may read them; None: nothing is withheld.
    data_policy: Mapped[dict | None] = mapped_column(JSON)
    # Roles working in the process and the data fields choosing assignees (domain/start_rights.py).
    start_rights: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_definitions_key_version"),)


class Instance(Base):
    __tablename__ = "instances"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(200))
    definition_version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # running | completed | error | suspended | cancelled
    state: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(100))
    # The enterprise (or body) the case belongs to: its roles are resolved from here upwards.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        Index("ix_instances_key_status_created", "definition_key", "status", "created_at"),
        Index("ix_instances_status_created", "status", "created_at"),
        Index("ix_instances_business_key", "business_key"),
        Index("ix_instances_organisation_status_created", "organisation_id", "status", "created_at"),
        Index(
            "uq_instances_running_business_key",
            "definition_key",
            "business_key",
            unique=True,
            sqlite_where=text("status = 'running' AND business_key IS NOT NULL"),
            postgresql_where=text("status = 'running' AND business_key IS NOT NULL"),
        ),
    )


class Task(Base):
    """A user task as the inbox sees it: a row per READY (then completed) engine task."""

    __tablename__ = "tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(Integer)  # the case's (denormalised for lists)
    name: Mapped[str] = mapped_column(String(200))  # BPMN element id
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(200))
    documentation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    submitted: Mapped[dict | None] = mapped_column(JSON)
    # Due date computed on a calendar year without official data (weekdays only).
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # First day of the working-day period behind due_at; a calendar change inside it recomputes.
    due_period_start: Mapped[date | None] = mapped_column(Date)
    # 委派 (services/task_operations.py): the person who delegated the task and gets it back,
    # kept through re-delegation; delegation is "pending" while the delegate works on it.
    owner: Mapped[str | None] = mapped_column(String(100))
    delegation: Mapped[str | None] = mapped_column(String(20))  # pending | resolved
    # What the delegate handed back, shown prefilled to the owner (not yet the case's data).
    draft: Mapped[dict | None] = mapped_column(JSON)
    # Last 催办, for its rate limit (XUANPIN_URGE_INTERVAL_MINUTES).
    urged_at: Mapped[datetime | None]
    # 加签 (services/signers.py): "submitted" while the holder's data (in `submitted`) waits for
    # the signers; the task is then out of the holder's inbox.
    signoff: Mapped[str | None] = mapped_column(String(20))

    grants: Mapped[list[TaskGrant]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="task"
    )
    # Kept by `_keep_inbox_entries` below; loaded only when the task changes.
    inbox_entries: Mapped[list[InboxEntry]] = relationship(cascade="all, delete-orphan", lazy="select")

    __table_args__ = (
        Index("ix_tasks_status_created", "status", "created_at"),
        Index("ix_tasks_instance_status", "instance_id", "status"),
        Index("ix_tasks_assignee_status", "assignee", "status"),
        Index("ix_tasks_status_due", "status", "due_at"),
    )

    @property
    def candidate_roles(self) -> list[str]:
        return [g.value for g in self.grants if g.kind == "role"]

    @property
    def candidate_users(self) -> list[str]:
        return [g.value for g in self.grants if g.kind == "user"]


class TaskGrant(Base):
    """Who may pick up an open task: a role (lane or candidateGroups) or a named user; `cc` and
    `delegate`: a user the task was copied (抄送) or delegated (委派) to, who may read it and its
    case (services/visibility.py READ_ONLY_GRANTS) but holds no right to act from it."""

    __tablename__ = "task_grants"
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # role | user | cc | delegate | signer
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    # A role grant: the organisation whose holders of the role receive the task (resolved from
    # the case's organisation upwards, services/organisations.py).
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    task: Mapped[Task] = relationship(back_populates="grants")

    __table_args__ = (Index("ix_task_grants_kind_value", "kind", "value", "task_id"),)


class InboxEntry(Base):
    """One open task in one holder's inbox: `role:<name>@<organisation id>` for each role it is
    offered to while unclaimed, `user:<name>` for a named user or the assignee. The inbox reads
    a holder's entries in (created_at, task_id) order off one index, so its pages cost the same
    at 1,000 open tasks as at 100,000; completed and cancelled tasks have none."""

    __tablename__ = "inbox_entries"
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_inbox_entries_holder_created", "holder", "created_at", "task_id"),)


def inbox_holders(task: Task) -> set[str]:
    """Whose inbox an open task is in: its assignee's once claimed, else every grant's."""
    if task.status != "open" or task.signoff is not None:  # submitted, waiting for its signers
        return set()
    if task.assignee:
        return {f"user:{task.assignee}"}
    # Delegates and cc recipients read the task; it is not in their inbox to act on.
    return {grant_holder(grant) for grant in task.grants if grant.kind in ("role", "user")}


def grant_holder(grant: TaskGrant) -> str:
    if grant.kind == "role":
        return role_holder(grant.value, grant.organisation_id)
    return f"{grant.kind}:{grant.value}"


def role_holder(role: str, organisation_id: int | None) -> str:
    return f"role:{role}@{organisation_id}"


@event.listens_for(Session, "before_flush")
def _keep_inbox_entries(session: Session, _context: object, _instances: object) -> None:
    """Whatever changes a task (a save, a claim, a completion, an operation), its inbox entries
    follow in the same flush: no use case has to remember them."""
    for task in [*session.new, *session.dirty]:
        if not isinstance(task, Task):
            continue
        if task in session.dirty and not _inbox_may_change(task):
            continue
        wanted = inbox_holders(task)
        current = {entry.holder: entry for entry in task.inbox_entries}
        for holder, entry in current.items():
            if holder not in wanted:
                task.inbox_entries.remove(entry)
        created = task.created_at or utcnow()
        for holder in sorted(wanted - current.keys()):
            task.inbox_entries.append(InboxEntry(holder=holder, created_at=created))


def _inbox_may_change(task: Task) -> bool:
    state = inspect(task)
    return any(
        state.attrs[name].history.has_changes() for name in ("status", "assignee", "grants", "signoff")
    )


class CcItem(Base):
    """A 待阅 item: a task copied (抄送) to one person, read-only, unread until they open it."""

    __tablename__ = "cc_items"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(100))
    sent_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # unread | read
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (Index("ix_cc_items_recipient_status_created", "recipient", "status", "created_at"),)


class TaskSigner(Base):
    """加签: one extra sign-off on an open task (services/signers.py, domain/signers.py)."""

    __tablename__ = "task_signers"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(10))  # before | after | parallel
    status: Mapped[str] = mapped_column(String(10))  # pending | agreed | disagreed | removed
    opinion: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        UniqueConstraint("task_id", "username", name="uq_task_signers_task_username"),
        Index("ix_task_signers_username_status_added", "username", "status", "added_at"),
    )


class TaskComment(Base):
    """An approval opinion (审批意见) on a task, or the reason given with a task operation."""

    __tablename__ = "task_comments"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # comment | transfer | delegate | resolve | cc
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_task_comments_instance_created", "instance_id", "created_at"),)


class StoredFile(Base):
    """An uploaded file (a scanned certificate, a signed form), its bytes in the database so
    every replica serves it; forms refer to it by id (services/files.py)."""

    __tablename__ = "files"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    # Judged from the bytes (domain/file_types.py), not the client's claim.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read only to serve it

    __table_args__ = (Index("ix_files_uploaded_by", "uploaded_by"),)


class FileReference(Base):
    """That a case (and the task, when it came with one) refers to an uploaded file: written when
    the data enters (a completion, the start data), so reading a file looks up the few cases that
    may grant it instead of searching every case's data."""

    __tablename__ = "file_references"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))


class Timer(Base):
    """A waiting timer event of an instance, with its due time, so any replica can fire it."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))  # the engine's waiting event task
    element_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))  # date | duration | cycle
    due_at: Mapped[datetime]
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    period_start: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # waiting | fired | cancelled | failed
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_timers_status_due", "status", "due_at"),)


class WorkInFlight(Base):
    """An instance being advanced right now, written in its own transaction before the work
    starts and deleted with the work's commit. A row whose worker died (killed for holding the
    interpreter past its timeout) tells the recovery sweep which case that work was on."""

    __tablename__ = "work_in_flight"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    doing: Mapped[str] = mapped_column(String(300))  # shown to people: 「办理「计算面试得分」」
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CalendarDay(Base):
    """A day that differs from the plain weekday rule: a holiday, or a make-up working day (调休).

    Seeded from `chinesecalendar`; administrators override single days. `seed_kind` keeps
    what the seed said so removing an override restores it.
    """

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20))  # chinesecalendar | admin | import
    seed_kind: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="system")


class CalendarYear(Base):
    """A year whose official schedule is known; deadlines in other years are provisional."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OwnRecord(Base):
    """What one candidate may see of one instance (X-03), refreshed whenever the instance moves,
    so that a candidate's list is one indexed query instead of reading instance data."""

    __tablename__ = "own_records"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    id_number_digest: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(String(100))
    view: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("instance_id", "id_number_digest", name="uq_own_records_instance_person"),
        Index("ix_own_records_person", "id_number_digest", "updated_at"),
    )


class OutboxEvent(Base):
    """A message a process threw for the outside world (an OA system, a website): consumers
    read them in id order (`GET /api/v1/events?after=`). Rows are never updated."""

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Append-only trail of who did what when (X-01), hash-chained (service/domain/audit_chain.py):
    `seq` is the position in the global chain, `prev_hash` the hash of the event before it,
    `instance_prev_hash` that of the case's event before it. The database refuses UPDATE and
    DELETE (triggers of migration 0012_audit); rows are written by services/audit.py only."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    instance_prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("uq_audit_events_seq", "seq", unique=True),
        Index("ix_audit_events_instance_seq", "instance_id", "seq"),
        Index("ix_audit_events_at", "at"),
    )


class AuditChainHead(Base):
    """One row (id 1): the position and hash of the last event of the global chain. Writers lock
    it (FOR UPDATE on PostgreSQL) to append in turn; it also shows events cut off the end."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


# OA integration (issue 14) ------------------------------------------------------------------


class MessageWait(Base):
    """That a running instance waits for an outside message by this name now (a catch event, a
    receive task, a boundary event), kept in step with the engine on every save so correlating
    a message is one indexed query instead of loading workflows."""

    __tablename__ = "message_waits"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_message_waits_name_business_key", "name", "business_key"),)


class Webhook(Base):
    """A subscription of an outside system to events, delivered signed (Standard Webhooks)."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(JSON)
    # whsec_<base64>; the previous secret signs too until previous_secret_until (key rotation).
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_until: Mapped[datetime | None]
    # standard: the signed JSON event; ecology: 泛微 e-cology 统一待办 ReceiveRequestInfoByJson.
    format: Mapped[str] = mapped_column(String(20), default="standard")
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(Base):
    """The transactional outbox: an event written in the transaction of the change it reports.
    `id` orders events in commit order (writers take one lock for it); `event_id` is stable
    across redeliveries; `version` is a millisecond timestamp that only grows."""

    __tablename__ = "webhook_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_webhook_events_task_type", "task_id", "type"),)


class WebhookDelivery(Base):
    """One event to one subscription: pending until delivered, retried with backoff, dead when
    the retry period is over (or the receiver answered 410 Gone)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_row_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True)
    # Deliveries of one key (the instance) go out one after another, in id order.
    ordering_key: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    # Retries run for the configured period from here (the first try, or a redelivery).
    retry_from: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[WebhookEvent] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "webhook_id", "ordering_key", "status", "id"),
    )


class WebhookAttempt(Base):
    """The delivery log: each try with the receiver's answer."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(100))


class TodoItem(Base):
    """The unified to-do (统一待办) as OA systems keep it: one row per task and receiver, with
    the state an OA shows (pending 待办, done 已办, cc 待阅) and a version that only grows, so
    an OA can reconcile (`GET /api/v1/todos?since=`) and drop an older update."""

    __tablename__ = "todo_items"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36))
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    receiver: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # todo | cc
    state: Mapped[str] = mapped_column(String(10))  # pending | done | cc
    viewed: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(String(500))
    process_name: Mapped[str] = mapped_column(String(300))
    step_name: Mapped[str] = mapped_column(String(300))
    creator: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("task_id", "receiver", "kind", name="uq_todo_items_task_receiver_kind"),
        Index("ix_todo_items_receiver_version", "receiver", "version"),
        Index("ix_todo_items_version", "version"),
    )


class UserContact(Base):
    """How to reach a user outside the service: the OA system's user id (to-do receiver) and
    an e-mail address for notifications. Kept apart from the account; admins maintain it."""

    __tablename__ = "user_contacts"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    oa_user_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyRecord(Base):
    """The first answer to a POST sent with an Idempotency-Key, replayed for 24 hours."""

    __tablename__ = "idempotency_records"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    principal: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the first is in progress
    response_body: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("principal", "key", name="uq_idempotency_records_principal_key"),)


class ObjectionReceipt(Base):
    """A public objection filed on the notice board (X-04, services/intake.py): the receipt code
    the objector keeps to read the feedback later, where the objection went (the 核查 task it
    opened), and the digest of the sender's address for the hourly limit."""

    __tablename__ = "objection_receipts"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    objection_id: Mapped[str] = mapped_column(String(20))  # 异议编号 YY-001 in that publicity
    check_task_id: Mapped[str | None] = mapped_column(String(36))  # its 「核查异议」 task
    address_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_objection_receipts_address_created", "address_digest", "created_at"),)
