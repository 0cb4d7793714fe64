"""Rankings and thresholds over lists of dicts (KF-09, KF-10, JB-12, JB-13).

Every function returns new dicts; the input list and its dicts are never modified.
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction
from typing import Any

from service.domain.validation import count, entries_list, field, key_name, number, sequence


def rank(entries: Any, key: Any, tiebreak: Any = None) -> list[dict[str, Any]]:
    """KF-09, JB-12: entries sorted by `key` descending, then by `tiebreak` descending
    (KF-09: ties on the total are broken by the interview score). Each result carries
    `rank` (1-based; entries equal on key and tiebreak share a rank and the next rank is
    skipped: 1, 1, 3) and `tied` (true when the rank is shared). Entries that stay equal keep
    their input order."""
    key = key_name(key, "排名依据")
    if tiebreak is not None:
        tiebreak = key_name(tiebreak, "并列时的比较依据")
    items = entries_list(entries)
    sort_keys = []
    for index, entry in enumerate(items, start=1):
        primary = field(entry, key, index)
        secondary = field(entry, tiebreak, index) if tiebreak is not None else 0
        sort_keys.append((primary, secondary))
    order = sorted(range(len(items)), key=lambda i: (-sort_keys[i][0], -sort_keys[i][1], i))
    ranks: list[int] = []
    for position, i in enumerate(order):
        same = position and sort_keys[i] == sort_keys[order[position - 1]]
        ranks.append(ranks[-1] if same else position + 1)
    shared = Counter(ranks)
    return [
        {**items[i], "rank": ranks[position], "tied": shared[ranks[position]] > 1}
        for position, i in enumerate(order)
    ]


def top_tied(entries: Any, key: Any) -> list[dict[str, Any]]:
    """JB-12: the entries sharing the highest `key` when there are two or more of them
    (they go to a second round of Q&A), else `[]`. Input order is kept."""
    key = key_name(key, "比较依据")
    items = entries_list(entries)
    values = [field(entry, key, index) for index, entry in enumerate(items, start=1)]
    if not values:
        return []
    best = max(values)
    tied = [entry for entry, value in zip(items, values, strict=True) if value == best]
    return tied if len(tied) > 1 else []


def all_below(values: Any, threshold: Any) -> bool:
    """JB-13: true when every value is strictly below `threshold` (JB-13: 80) — the post
    may stay vacant. An empty list is an error (there is nobody to judge)."""
    items = sequence(values, "分数")
    if not items:
        raise ValueError("判断是否全部低于分数线至少需要 1 个分数")
    limit = number(threshold, "分数线")
    return all(number(value, f"第 {i} 个分数") < limit for i, value in enumerate(items, start=1))


def above_threshold(entries: Any, key: Any, minimum: Any) -> list[dict[str, Any]]:
    """KF-09: the entries whose `key` is at least `minimum` (KF-09: total ≥ 60 may be
    inspected), in input order."""
    key = key_name(key, "比较依据")
    limit = number(minimum, "分数线")
    items = entries_list(entries)
    return [entry for index, entry in enumerate(items, start=1) if field(entry, key, index) >= limit]


def inspection_targets(ranked: Any, posts: Any, ratio: Any) -> list[dict[str, Any]]:
    """KF-10: the first ⌈posts × ratio⌉ entries of an already ranked list (all of them when
    there are fewer). `ratio` is the 差额 ratio of candidates per post (≥ 1)."""
    items = entries_list(ranked, "排名名单")
    post_count = count(posts, "岗位数", minimum=1)
    factor = number(ratio, "差额比例")
    if factor < 1:
        raise ValueError(f"差额比例不得小于 1，收到 {ratio!r}")
    wanted = math.ceil(Fraction(factor) * post_count)
    return items[:wanted]
