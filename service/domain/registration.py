"""Registration, one rule for every procedure: a person registers once per post.

What a second registration of the same ID number means is the diagram's setting
`chongfu_baoming`, with the document's reading as default:

- 替换 (KF-04 「竞聘者可在规定时间内改报其他岗位」): the new registration replaces the earlier
  one; the entry records how often it was changed (`gaibao_cishu`).
- 拒绝 (FH, JB, SS: their documents give no way to register twice): the second one is refused,
  naming the earlier entry, and the earlier one stands.

A list of several people handed over in one submission (SS 报名人选) never names a person
twice, whatever the setting: the clerk fixes the list.
"""

from __future__ import annotations

from typing import Any

from service.domain.refusal import Refusal
from service.domain.validation import mapping, sequence

REPLACE = "替换"
REFUSE = "拒绝"
POLICIES = (REPLACE, REFUSE)


def id_key(value: Any) -> str:
    """An ID number as compared: spaces dropped, the check letter x upper-case."""
    return str(value or "").strip().upper()


def _policy(value: Any) -> str:
    if value not in POLICIES:
        raise ValueError(f"流程设置 chongfu_baoming 应为「替换」或「拒绝」，收到 {value!r}")
    return str(value)


def register_once(
    entries: Any, entry: Any, policy: Any, field: str = "shenfenzheng_hao", key: str = "shenfenzheng_hao"
) -> list[dict[str, Any]]:
    """KF-04, JB-03, FH-06, SS-03: the list of registrations with `entry` added. An entry
    with the same ID number (`key`) as an earlier one replaces it under the policy 替换 (the
    entry moves to the end and carries `gaibao_cishu`, how often it was changed) and is refused
    under 拒绝 (field `field`), saying whose earlier registration stands. A new list is returned."""
    chosen = _policy(policy)
    rows = [dict(mapping(r, "报名记录")) for r in sequence(entries, "报名记录")]
    new = dict(mapping(entry, "报名信息"))
    wanted = id_key(new.get(key))
    if not wanted:
        raise Refusal("报名信息缺少身份证号", field)
    for index, row in enumerate(rows):
        if id_key(row.get(key)) != wanted:
            continue
        if chosen == REFUSE:
            raise Refusal(
                f"身份证号 {wanted} 已于第 {index + 1} 份登记中报名（{row.get('xingming') or '姓名未填'}），"
                "同一人不能重复报名；此前的登记仍然有效，如需更正请在资格审查时说明",
                field,
            )
        new["gaibao_cishu"] = int(row.get("gaibao_cishu") or 0) + 1
        return [r for i, r in enumerate(rows) if i != index] + [new]
    return [*rows, new]


def check_single_registrations(
    entries: Any, field: str, key: str = "shenfenzheng_hao"
) -> list[dict[str, Any]]:
    """SS-03: a list handed over in one submission names each person (ID number `key`) once;
    a repeat is refused on its entry (`field`.<n>.`key`), naming the first. Returns the list."""
    rows = [dict(mapping(r, "报名记录")) for r in sequence(entries, "报名记录")]
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        wanted = id_key(row.get(key))
        if not wanted:
            continue
        first = seen.setdefault(wanted, index)
        if first != index:
            raise Refusal(
                f"第 {index + 1} 项的身份证号 {wanted} 与第 {first + 1} 项重复，同一人只能登记一次",
                f"{field}.{index}.{key}",
            )
    return rows


def count_by_post(
    entries: Any, posts: Any, counted: str = "zige_hege", applied: str = "baokao_gangwei"
) -> dict[str, int]:
    """KF-04: the live count of qualified registrations per post (every post listed, 0 when none)."""
    counts = {str(mapping(p, "岗位")["mingcheng"]): 0 for p in sequence(posts, "岗位")}
    for row in sequence(entries, "报名记录"):
        if mapping(row, "报名记录").get(counted):
            for post in row.get(applied) or []:
                counts[post] = counts.get(post, 0) + 1
    return counts
