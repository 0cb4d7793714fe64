"""X-03: what one candidate may see of an instance — their own application and their own results.

A process declares, in its BPMN extension properties, which variables hold applications and
which hold results (scores, rankings, qualification outcomes), e.g.

    xuanpin:applications = shenqing_list:揭榜申请
    xuanpin:results      = mianshi_chengji:面试成绩, dierlun_jilu:第二轮答辩成绩
    xuanpin:hiddenFields = huibi_pingwei

An application is a record (dict) carrying the ID number `shenfenzheng_hao`; a result
record belongs to the candidate when it carries their ID number or, lacking one, their name
`xingming` as written in their application (names are how several procedures key their
score sheets) — unless another applicant of the instance has the same name. Records nested
in lists or dicts (rankings per post, rounds) are found too.
Hidden fields (e.g. which judge declared a conflict) are removed at any depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ID_FIELD = "shenfenzheng_hao"
NAME_FIELD = "xingming"
ID_NUMBER = re.compile(r"^[1-9]\d{16}[0-9X]$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEPARATORS = re.compile(r"\s*[,，;；\n]\s*")


@dataclass(frozen=True)
class Source:
    variable: str
    label: str


@dataclass(frozen=True)
class OwnRecordsSpec:
    applications: tuple[Source, ...]
    results: tuple[Source, ...] = ()
    hidden_fields: frozenset[str] = frozenset()

    @property
    def variables(self) -> set[str]:
        return {source.variable for source in (*self.applications, *self.results)}

    def as_json(self) -> dict[str, Any]:
        return {
            "applications": [[s.variable, s.label] for s in self.applications],
            "results": [[s.variable, s.label] for s in self.results],
            "hidden_fields": sorted(self.hidden_fields),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> OwnRecordsSpec:
        return cls(
            applications=tuple(Source(v, label) for v, label in value["applications"]),
            results=tuple(Source(v, label) for v, label in value.get("results", [])),
            hidden_fields=frozenset(value.get("hidden_fields", [])),
        )


def normalise_id_number(value: Any) -> str | None:
    """The canonical form of a PRC resident ID number (18 characters, upper-case X), or None."""
    if not isinstance(value, str):
        return None
    candidate = value.strip().upper()
    return candidate if ID_NUMBER.match(candidate) else None


_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    """GB 11643: the 18th character of an ID number, computed from the first 17."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _CHECK_WEIGHTS, strict=True)) % 11]


def has_valid_check_digit(id_number: str) -> bool:
    """Catches most typos in a (normalised) ID number."""
    return check_digit(id_number[:17]) == id_number[17]


def parse_sources(text: str, what: str) -> tuple[Source, ...]:
    """`var:标签, var2:标签2` (a missing label defaults to the variable name)."""
    sources = []
    for item in _SEPARATORS.split(text.strip()):
        if not item:
            continue
        variable, _, label = item.replace("：", ":", 1).partition(":")
        if not _VARIABLE.match(variable):
            raise ValueError(
                f"{what}中的「{item}」不是变量名（应为 变量名:中文标签，如 mianshi_chengji:面试成绩）"
            )
        sources.append(Source(variable, label.strip() or variable))
    return tuple(sources)


def parse_spec(properties: Mapping[str, str]) -> OwnRecordsSpec | None:
    """The declaration from a process's extension properties; None when it declares none.
    Unknown keys are refused by service.domain.declarations, which reads all of them."""
    applications = properties.get("xuanpin:applications", "")
    results = properties.get("xuanpin:results", "")
    hidden = properties.get("xuanpin:hiddenFields", "")
    if not applications.strip():
        if results.strip() or hidden.strip():
            raise ValueError(
                "缺少 xuanpin:applications（报名记录所在的变量），"
                + "xuanpin:results 与 xuanpin:hiddenFields 须与之同时声明"
            )
        return None
    return OwnRecordsSpec(
        applications=parse_sources(applications, "xuanpin:applications"),
        results=parse_sources(results, "xuanpin:results"),
        hidden_fields=frozenset(f for f in _SEPARATORS.split(hidden.strip()) if f),
    )


def own_records(data: Mapping[str, Any], spec: OwnRecordsSpec) -> dict[str, dict[str, Any]]:
    """Per ID number found in the applications: {name, applications: [...], results: [...]}.

    Each result group is {label, records}; groups with no record of the candidate are left out.
    One pass over each declared variable.
    """
    views: dict[str, dict[str, Any]] = {}
    people_by_name: dict[str, set[str]] = {}
    for source in spec.applications:
        for index, record in enumerate(_records(data.get(source.variable))):
            id_number = normalise_id_number(record.get(ID_FIELD))
            name = record.get(NAME_FIELD)
            if isinstance(name, str) and name:
                # Every application counts, with a valid ID number or not, so that a name
                # shared with anybody never identifies a candidate.
                people_by_name.setdefault(name, set()).add(id_number or f"{source.variable}#{index}")
            if id_number is None:
                continue
            view = views.setdefault(id_number, {"name": "", "applications": [], "results": []})
            view["name"] = name if isinstance(name, str) and name else view["name"]
            view["applications"].append(
                {"label": source.label, "record": _without(record, spec.hidden_fields)}
            )
    owner_of_name = {
        name: next(iter(people))
        for name, people in people_by_name.items()
        if len(people) == 1 and next(iter(people)) in views
    }
    for source in spec.results:
        groups: dict[str, list[Any]] = {}
        for record in _records(data.get(source.variable)):
            owner = _owner(record, views, owner_of_name)
            if owner is not None:
                mine = _only_owner(record, owner, owner_of_name, spec.hidden_fields)
                groups.setdefault(owner, []).append(mine)
        for owner, records in groups.items():
            views[owner]["results"].append({"label": source.label, "records": records})
    return views


def _records(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every record (a dict naming a person) inside value, without descending into records."""
    if isinstance(value, Mapping):
        if ID_FIELD in value or NAME_FIELD in value:
            yield value
            return
        for item in value.values():
            yield from _records(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _records(item)


def _owner(
    record: Mapping[str, Any], views: Mapping[str, Any], owner_of_name: Mapping[str, str]
) -> str | None:
    if ID_FIELD in record:
        id_number = normalise_id_number(record[ID_FIELD])
        return id_number if id_number in views else None
    name = record.get(NAME_FIELD)
    return owner_of_name.get(name) if isinstance(name, str) else None


def _only_owner(value: Any, owner: str, owner_of_name: Mapping[str, str], hidden: frozenset[str]) -> Any:
    """A result record without hidden fields and without anything nested in it about someone else."""
    if isinstance(value, Mapping):
        return {
            key: _only_owner(item, owner, owner_of_name, hidden)
            for key, item in value.items()
            if key not in hidden and not _about_someone_else(item, owner, owner_of_name)
        }
    if isinstance(value, list | tuple):
        return [
            _only_owner(item, owner, owner_of_name, hidden)
            for item in value
            if not _about_someone_else(item, owner, owner_of_name)
        ]
    return value


def _about_someone_else(value: Any, owner: str, owner_of_name: Mapping[str, str]) -> bool:
    return (
        isinstance(value, Mapping)
        and (ID_FIELD in value or NAME_FIELD in value)
        and _owner(value, {owner: None}, owner_of_name) != owner
    )


def _without(value: Any, hidden: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: _without(v, hidden) for k, v in value.items() if k not in hidden}
    if isinstance(value, list | tuple):
        return [_without(v, hidden) for v in value]
    return value
