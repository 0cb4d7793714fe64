"""Documentation generated from the code, so it cannot drift: `xuanpin docs` rewrites it and
a test fails when a committed file is out of date."""

from __future__ import annotations

import re
from pathlib import Path

from service.config import PROJECT_ROOT
from service.domain.helpers import reference_table

DOMAIN_API = PROJECT_ROOT / "docs" / "domain-api.md"
_REGION = re.compile(r"(<!-- functions:start[^>]*-->\n).*?(<!-- functions:end -->)", re.S)


def render_domain_api(text: str) -> str:
    """The document with its function table regenerated from the docstrings."""
    if not _REGION.search(text):
        raise ValueError("docs/domain-api.md 缺少 <!-- functions:start --> … <!-- functions:end --> 标记")
    return _REGION.sub(lambda m: m.group(1) + reference_table() + m.group(2), text)


def write_generated_docs() -> list[Path]:
    """Rewrites the generated parts; returns the files that changed."""
    changed = []
    current = DOMAIN_API.read_text(encoding="utf-8")
    rendered = render_domain_api(current)
    if rendered != current:
        DOMAIN_API.write_text(rendered, encoding="utf-8")
        changed.append(DOMAIN_API)
    return changed
