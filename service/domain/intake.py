"""What people outside the office send into a running case (issue 13), without I/O.

Two intake points, each an ordinary open user task of the diagram that the office would
otherwise fill in by hand, and that stays open for it (paper applications, objections by
letter):

- an online application (揭榜 / 报名, X-03): a candidate with an account fills the
  registration form of an open call — the same form as the office's registration step (its
  form key is in the setting `online_application_forms`), less the fields only the office
  fills (the day it was received: today for an online one). The form's ID number must be the
  one linked to the candidate's account: one applies as oneself.
- a public objection (异议, X-04): anyone fills the 「受理公示异议」 form of a running publicity
  on the notice board (setting `objection_forms`), real-name, with the facts.

The submission then goes through the same validation, decision tables and scripts as one the
office registers (services/intake.py calls tasks.submit).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# Fields of a registration form only the office fills; an online application sets them itself.
OFFICE_FIELDS = ("shoudao_riqi", "jieshu_dengji")
ID_NUMBER_FIELD = "shenfenzheng_hao"


def applicant_form(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The registration form as a candidate sees it: without the office's fields."""
    form = copy.deepcopy(dict(schema))
    properties = dict(form.get("properties") or {})
    for name in OFFICE_FIELDS:
        properties.pop(name, None)
    form["properties"] = properties
    form["required"] = [name for name in form.get("required") or [] if name not in OFFICE_FIELDS]
    return form


def application_data(schema: Mapping[str, Any], data: Mapping[str, Any], today: str) -> dict[str, Any]:
    """The candidate's data with the office's fields filled as for an application received
    today (ISO date), whatever the candidate may have sent for them."""
    result = {k: v for k, v in data.items() if k not in OFFICE_FIELDS}
    properties = schema.get("properties") or {}
    if "shoudao_riqi" in properties:
        result["shoudao_riqi"] = today
    if "jieshu_dengji" in properties:
        result["jieshu_dengji"] = False  # an applicant never closes the registration
    return result


def id_number_path(schema: Mapping[str, Any]) -> tuple[str, ...] | None:
    """Where the form keeps the applicant's ID number: at the top (报名表) or in the one
    object that holds the application (揭榜申请表 `shenqing`)."""
    properties = schema.get("properties") or {}
    if ID_NUMBER_FIELD in properties:
        return (ID_NUMBER_FIELD,)
    for name, sub in properties.items():
        if isinstance(sub, Mapping) and ID_NUMBER_FIELD in (sub.get("properties") or {}):
            return (name, ID_NUMBER_FIELD)
    return None


def id_number_in(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def applicant_refusal(is_candidate: bool, linked: bool) -> str | None:
    """Why this account may not apply online, or None."""
    if not is_candidate:
        return "网上报名只供应聘一方的账号使用；组织单位请在待办中登记收到的申请"
    if not linked:
        return "您的账号还没有关联身份证号，不能网上报名：请联系组织单位核实身份后关联"
    return None


def own_id_refusal(given_digest: str | None, own_digest: str) -> str | None:
    """X-03: one applies as oneself: the form's ID number must be the account's."""
    if given_digest != own_digest:
        return "申请表中的身份证号与您账号关联的身份证号不一致：只能以本人身份报名"
    return None


def outcome(record: Mapping[str, Any]) -> tuple[bool | None, str | None]:
    """Whether a registered application was accepted (受理 / 资格合格) and why, as the
    registration step recorded it; (None, None) before it was judged."""
    for key in ("shouli", "hege", "zige_hege"):
        if isinstance(record.get(key), bool):
            reason = record.get("liyou") or record.get("zige_liyou") or record.get("zige_shuoming")
            return record[key], str(reason) if reason else None
    return None, None
