"""The states of instances, tasks and timers: one vocabulary for the models, services and API."""

from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    # Stopped at its last good state: a step failed, or its work killed a worker; an
    # administrator retries it once the cause is mended.
    ERROR = "error"
    # Held by an administrator: no task can be completed and no timer fires until resumed;
    # timers that fell due meanwhile fire on resume.
    SUSPENDED = "suspended"
    # Ended by its starter or an administrator before its end; the reason is in `error`.
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # withdrawn by the engine: an interrupting event, a cancelled branch


class TimerStatus(StrEnum):
    WAITING = "waiting"
    FIRED = "fired"
    CANCELLED = "cancelled"
    FAILED = "failed"  # its instance went into error when it fired; retried with the instance
