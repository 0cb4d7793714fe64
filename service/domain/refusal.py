"""Business refusals: a rule of the procedure says no to what a person submitted.

Distinct from a fault of the diagram (a script bug, a missing variable): a refusal is the
normal outcome of a rule ("不在名单中", "不符合报名条件") and tells the person what to change;
the step is not completed and nothing is saved. Domain functions raise it; diagram scripts
call `refuse(...)`.
"""

from __future__ import annotations


class Refusal(ValueError):
    """A rule refuses the submission. `field` names the form field at fault (a dotted path
    such as `mingdan.2.shenfenzheng_hao`), when one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def refuse(message: str, field: str | None = None) -> None:
    """For diagram scripts: refuse the submission with a message for the person (and the field)."""
    raise Refusal(str(message), str(field) if field is not None else None)
