"""Exceptions the engine adapter raises; the only ones services need to know."""

from __future__ import annotations


class DefinitionError(Exception):
    """A BPMN/DMN file that cannot be deployed, located as precisely as we can."""

    def __init__(
        self,
        message: str,
        filename: str | None = None,
        element_id: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.element_id = element_id
        self.line = line

    def location(self) -> str:
        parts = []
        if self.filename:
            parts.append(f"文件 {self.filename}")
        if self.line:
            parts.append(f"第 {self.line} 行")
        if self.element_id:
            parts.append(f"元素 {self.element_id}")
        return "，".join(parts)


class ExecutionError(Exception):
    """A script, condition or expression of the diagram failed while running."""

    def __init__(self, message: str, element_id: str | None = None, element_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.element_name = element_name


class RuleRefused(ExecutionError):
    """A rule of the procedure refused the submission (service.domain.refusal.Refusal raised in a
    script): the person's input is at fault, not the diagram. `field` names the form field."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        element_id: str | None = None,
        element_name: str | None = None,
    ) -> None:
        super().__init__(message, element_id, element_name)
        self.field = field


class TaskNotReady(Exception):
    """The task is not (or no longer) waiting for a person."""
