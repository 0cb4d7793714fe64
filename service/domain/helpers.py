"""The domain functions diagrams may call from scripts and expressions (sandboxed).

Each is a plain function of this package, with no I/O; the container adds them to the
script environment next to the calendar helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCRIPT_FUNCTIONS: dict[str, Callable[..., Any]] = {}
