"""What a process declares about itself in its BPMN extension properties (`camunda:properties`
on the process element, editable in Camunda Modeler's properties panel).

- `xuanpin:applications`, `xuanpin:results`, `xuanpin:hiddenFields` — what a candidate may see
  of their own records (X-03, service/domain/own_records.py).
- `xuanpin:setting.<name>` — an adjustable threshold of the procedure (a ratio, a weight, a
  pass mark, a bank size), with the document's value as the diagram's default. Scripts and
  expressions read it as `shezhi["<name>"]`; instances keep the settings of their version.
  The value is JSON (`1.5`, `[3, 5]`, `{"biaoxian": 30}`); other text is taken as a string.
- `xuanpin:startFields` — the data fields a start may set although they choose who receives
  work (`${variable}` in a task's assignment; service/domain/start_rights.py).
- `xuanpin:personalFields` — the fields holding personal information (ID numbers, contact
  details, family members) and `xuanpin:personalDataRoles` — the roles that may read them (the
  organising office and the deciding body); everyone else sees the case without them (X-05).
- `xuanpin:confidentialFields`, `xuanpin:confidentialRoles`, `xuanpin:confidentialUntil` —
  confidential material (X-06: a question bank, the questions drawn): only the named roles (the
  setter, the deciding body), observers and admins read those fields until the variable named
  by confidentialUntil is true in the case's data (the material has been used, e.g. drawn on
  site at the interview); everyone else (the working group, the judges) reads the case without
  them until then.
- `xuanpin:retention` = `permanent` — the procedure's cases and their audit are archived
  permanently (FH-07): a retention policy an admin configures never purges them
  (services/retention.py). Every built-in procedure declares it.
- `xuanpin:starterMayCancel` = `true` — the person who started a case may cancel it
  (`POST /api/v1/instances/{id}/cancel`); otherwise only an administrator may.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.domain.own_records import OwnRecordsSpec
from service.domain.own_records import parse_spec as parse_own_records
from service.domain.start_rights import START_FIELDS

SETTING_PREFIX = "xuanpin:setting."
PERSONAL_FIELDS = "xuanpin:personalFields"
PERSONAL_DATA_ROLES = "xuanpin:personalDataRoles"
CONFIDENTIAL_FIELDS = "xuanpin:confidentialFields"
CONFIDENTIAL_ROLES = "xuanpin:confidentialRoles"
CONFIDENTIAL_UNTIL = "xuanpin:confidentialUntil"
RETENTION = "xuanpin:retention"
STARTER_MAY_CANCEL = "xuanpin:starterMayCancel"
PERMANENT = "permanent"
_OWN_RECORDS_KEYS = ("xuanpin:applications", "xuanpin:results", "xuanpin:hiddenFields")
KNOWN_KEYS = (
    *_OWN_RECORDS_KEYS,
    PERSONAL_FIELDS,
    PERSONAL_DATA_ROLES,
    CONFIDENTIAL_FIELDS,
    CONFIDENTIAL_ROLES,
    CONFIDENTIAL_UNTIL,
    START_FIELDS,
    RETENTION,
    STARTER_MAY_CANCEL,
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SEPARATORS = re.compile(r"\s*[,，;；\n]\s*")


@dataclass(frozen=True)
class DataPolicy:
    """X-05: which fields are personal and who may read them; X-06: which fields are
    confidential, who may read them, and the variable that releases them once true."""

    personal_fields: frozenset[str]
    personal_data_roles: frozenset[str]
    confidential_fields: frozenset[str] = frozenset()
    confidential_roles: frozenset[str] = frozenset()
    confidential_until: str = ""

    def released(self, data: Any) -> bool:
        """Whether the confidential material has been used (its release variable is true)."""
        return (
            bool(self.confidential_until)
            and isinstance(data, Mapping)
            and bool(data.get(self.confidential_until))
        )

    def as_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "personal_fields": sorted(self.personal_fields),
            "personal_data_roles": sorted(self.personal_data_roles),
        }
        if self.confidential_fields:
            value.update(
                confidential_fields=sorted(self.confidential_fields),
                confidential_roles=sorted(self.confidential_roles),
                confidential_until=self.confidential_until,
            )
        return value

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> DataPolicy | None:
        if not value:
            return None
        return cls(
            frozenset(value.get("personal_fields", ())),
            frozenset(value.get("personal_data_roles", ())),
            frozenset(value.get("confidential_fields", ())),
            frozenset(value.get("confidential_roles", ())),
            str(value.get("confidential_until", "")),
        )


@dataclass(frozen=True)
class Declarations:
    own_records: OwnRecordsSpec | None
    settings: dict[str, Any]
    data_policy: DataPolicy | None
    start_fields: frozenset[str] = frozenset()
    permanent: bool = False  # FH-07: never purged by a retention policy


def parse_declarations(properties: Mapping[str, str]) -> Declarations:
    """Raises ValueError with a Chinese message naming the property at fault."""
    unknown = sorted(
        key
        for key in properties
        if key.startswith("xuanpin:") and key not in KNOWN_KEYS and not key.startswith(SETTING_PREFIX)
    )
    if unknown:
        raise ValueError(
            f"不认识的扩展属性 {'、'.join(unknown)}（可用：{'、'.join(KNOWN_KEYS)}、{SETTING_PREFIX}<名称>）"
        )
    return Declarations(
        own_records=parse_own_records({k: v for k, v in properties.items() if k in _OWN_RECORDS_KEYS}),
        settings=parse_settings(properties),
        data_policy=_data_policy(properties),
        start_fields=_start_fields(properties),
        permanent=is_permanent(properties),
    )


def starter_may_cancel(properties: Mapping[str, str]) -> bool:
    """`xuanpin:starterMayCancel`: `true` lets the starter cancel their own case."""
    return properties.get(STARTER_MAY_CANCEL, "").strip().lower() == "true"


def is_permanent(properties: Mapping[str, str]) -> bool:
    """`xuanpin:retention`: absent (the admin's retention policy applies) or `permanent`."""
    value = properties.get(RETENTION)
    if value is None:
        return False
    if value.strip().lower() in (PERMANENT, "永久"):
        return True
    raise ValueError(f"{RETENTION} 只能是 {PERMANENT}（永久保存，FH-07）；不声明则按管理员配置的保留期限")


def _start_fields(properties: Mapping[str, str]) -> frozenset[str]:
    names = _names(properties.get(START_FIELDS, ""))
    bad = sorted(name for name in names if not _NAME.match(name))
    if bad:
        raise ValueError(f"{START_FIELDS} 中的数据项名称无效：{'、'.join(bad)}")
    return names


def parse_settings(properties: Mapping[str, str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, text in properties.items():
        if not key.startswith(SETTING_PREFIX):
            continue
        name = key[len(SETTING_PREFIX) :]
        if not _NAME.match(name):
            raise ValueError(
                f"设置项「{key}」的名称无效（应为字母开头的字母、数字、下划线，如 {SETTING_PREFIX}chae_bili）"
            )
        try:
            settings[name] = json.loads(text)
        except json.JSONDecodeError:
            settings[name] = text.strip()
    return settings


def _names(text: str) -> frozenset[str]:
    return frozenset(item for item in _SEPARATORS.split(text.strip()) if item)


def _data_policy(properties: Mapping[str, str]) -> DataPolicy | None:
    fields = _names(properties.get(PERSONAL_FIELDS, ""))
    roles = _names(properties.get(PERSONAL_DATA_ROLES, ""))
    if not fields and roles:
        raise ValueError(f"声明了 {PERSONAL_DATA_ROLES} 却没有声明 {PERSONAL_FIELDS}（哪些字段是个人信息）")
    secret = _names(properties.get(CONFIDENTIAL_FIELDS, ""))
    readers = _names(properties.get(CONFIDENTIAL_ROLES, ""))
    until = properties.get(CONFIDENTIAL_UNTIL, "").strip()
    if (readers or until) and not secret:
        raise ValueError(
            f"声明了 {CONFIDENTIAL_ROLES} 或 {CONFIDENTIAL_UNTIL} 却没有声明 "
            f"{CONFIDENTIAL_FIELDS}（哪些字段须保密）"
        )
    if until and not _NAME.match(until):
        raise ValueError(f"{CONFIDENTIAL_UNTIL} 应为一个数据项名称，收到 {until!r}")
    if not fields and not secret:
        return None
    return DataPolicy(fields, roles, secret, readers, until)


def without_personal_fields(value: Any, fields: frozenset[str]) -> Any:
    """A copy of `value` with the personal fields removed at any depth."""
    if isinstance(value, Mapping):
        return {k: without_personal_fields(v, fields) for k, v in value.items() if k not in fields}
    if isinstance(value, list):
        return [without_personal_fields(item, fields) for item in value]
    return value
