"""Input checks and exact arithmetic shared by the domain functions.

Numbers arrive from JSON (form data, task data): ints and floats. Booleans, strings,
NaN and infinities are rejected with a Chinese message. Arithmetic on scores is done in
`Decimal` (from the number's shortest decimal representation) so that 四舍五入 to two
decimals is exact, then handed back as a float.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TWO_PLACES = Decimal("0.01")


def number(value: Any, what: str) -> Decimal:
    """A finite int or float (not a bool) as an exact Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{what}必须是数字，收到 {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what}必须是有限的数字，收到 {value!r}")
    return Decimal(value) if isinstance(value, int) else Decimal(str(value))


def non_negative(value: Any, what: str) -> Decimal:
    result = number(value, what)
    if result < 0:
        raise ValueError(f"{what}不能为负数，收到 {value!r}")
    return result


def in_range(value: Any, what: str, maximum: Any, minimum: Any = 0) -> Decimal:
    """minimum ≤ value ≤ maximum, naming the item and its range when it is not."""
    result = number(value, what)
    if not number(minimum, "下限") <= result <= number(maximum, "上限"):
        raise ValueError(f"{what}为 {value!r}，超出范围（应在 {minimum}–{maximum} 之间）")
    return result


def count(value: Any, what: str, minimum: int = 0) -> int:
    """A whole number ≥ minimum (an integral float such as 3.0 is accepted)."""
    result = number(value, what)
    if result != result.to_integral_value():
        raise ValueError(f"{what}必须是整数，收到 {value!r}")
    if result < minimum:
        if minimum == 0:
            raise ValueError(f"{what}不能为负数，收到 {value!r}")
        raise ValueError(f"{what}不得小于 {minimum}，收到 {value!r}")
    return int(result)


def sequence(value: Any, what: str) -> list[Any]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise ValueError(f"{what}必须是列表，收到 {type(value).__name__}")
    return list(value)


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what}必须是键值对（dict），收到 {type(value).__name__}")
    return value


def entries_list(entries: Any, what: str = "名单") -> list[dict[str, Any]]:
    """A list of dicts, each copied so that callers never see their input mutated."""
    items = sequence(entries, what)
    result = []
    for index, entry in enumerate(items, start=1):
        if not isinstance(entry, Mapping):
            raise ValueError(f"{what}第 {index} 项必须是键值对（dict），收到 {type(entry).__name__}")
        result.append(dict(entry))
    return result


def field(entry: Mapping[str, Any], key: str, index: int, what: str = "名单") -> Decimal:
    if key not in entry:
        raise ValueError(f"{what}第 {index} 项缺少「{key}」")
    return number(entry[key], f"{what}第 {index} 项的「{key}」")


def key_name(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"{what}必须是非空字符串，收到 {key!r}")
    return key


def rounded(value: Decimal) -> float:
    """四舍五入 to two decimals, as a float."""
    return float(value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def plain(value: Decimal) -> int | float:
    """An exact Decimal back to a JSON number (int when integral)."""
    return int(value) if value == value.to_integral_value() else float(value)
