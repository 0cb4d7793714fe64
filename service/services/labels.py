"""Chinese labels for variable names: from the forms of a definition (field titles, nested
ones included) and, for the built-in processes, from docs/glossary.md when it is beside the code."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any


def collect_labels(forms: Mapping[str, Any], process_key: str | None = None) -> dict[str, str]:
    """variable (or nested field) name -> Chinese label, from every form of the definition and,
    for the built-in processes, from the glossary."""
    labels: dict[str, str] = dict(_glossary_labels().get(process_key or "", {}))

    def walk(schema: Any) -> None:
        if not isinstance(schema, Mapping):
            return
        for name, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, Mapping):
                if sub.get("title"):
                    labels.setdefault(name, str(sub["title"]))
                walk(sub)
        walk(schema.get("items"))
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in schema.get(keyword) or []:
                walk(branch)
        for keyword in ("then", "else"):
            walk(schema.get(keyword))

    for schema in forms.values():
        walk(schema)
    return labels


@lru_cache(maxsize=1)
def _glossary_labels() -> dict[str, dict[str, str]]:
    from service.devdocs import GLOSSARY, TO_FILL, parse_glossary

    if not GLOSSARY.exists():
        return {}
    sections = parse_glossary(GLOSSARY.read_text(encoding="utf-8"))
    return {
        key: {name: label for name, (label, _meaning, _steps) in rows.items() if label and label != TO_FILL}
        for key, rows in sections.items()
    }
