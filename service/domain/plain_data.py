"""What may be kept as case data: JSON-like values both databases store and every client reads.

Two callers: the API checks what a client sends (strictly: no NUL, no deep nesting, integers
within 64 bits, as I-JSON asks), the engine checks what a script leaves behind (a `range`, a
generator, a set, NaN) so that a diagram error is reported on its step instead of failing the
save. The walk is iterative: a hostile value cannot exhaust the stack.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

INT64_MAX = 2**63 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_OR_NUL = re.compile("[\x00\ud800-\udfff]")
# Besides JSON's own types, what the engine's serializer converts (dates, Decimal, …).
_ENGINE_SCALARS = (date, datetime, timedelta, Decimal, UUID)


@dataclass(frozen=True)
class Problem:
    path: str  # where, e.g. "data.jiating_chengyuan[2].xingming"
    message: str


@dataclass(frozen=True)
class Rules:
    strict: bool  # a client's input: NUL refused, integers within 64 bits, only JSON types
    max_depth: int | None = None


CLIENT = Rules(strict=True, max_depth=64)
ENGINE = Rules(strict=False)


def text_problem(text: str, strict: bool = True) -> str | None:
    """Why a string cannot be stored: a lone surrogate (not Unicode, refused by UTF-8) or, from
    a client, NUL (PostgreSQL text cannot hold it)."""
    found = (_SURROGATE_OR_NUL if strict else _SURROGATE).search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "不能包含空字符（\\u0000）"
    return "含有无效的 Unicode 字符（单独的代理项，如 \\ud800）"


def find_problem(value: Any, rules: Rules = CLIENT, root: str = "") -> Problem | None:
    """The first part of `value` that cannot be stored, or None."""
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        item, path, depth = stack.pop()
        if rules.max_depth is not None and depth > rules.max_depth:
            return Problem(path or "_request", f"嵌套超过 {rules.max_depth} 层")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, str):
            reason = text_problem(item, rules.strict)
            if reason:
                return Problem(path or "_request", f"文本{reason}")
        elif isinstance(item, int):
            if rules.strict and abs(item) > INT64_MAX:
                return Problem(path or "_request", f"整数超出允许范围（绝对值不超过 {INT64_MAX}）")
        elif isinstance(item, float):
            if not math.isfinite(item):
                return Problem(path or "_request", f"不是有限的数字（{_special(item)}）")
        elif isinstance(item, Mapping):
            for key, child in item.items():
                if not isinstance(key, str):
                    return Problem(path or "_request", f"数据项名称应为文本，收到 {type(key).__name__}")
                reason = text_problem(key, rules.strict)
                if reason:
                    return Problem(path or "_request", f"数据项名称{reason}")
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list | tuple):
            for index, child in enumerate(item):
                stack.append((child, f"{path}[{index}]", depth + 1))
        elif not rules.strict and isinstance(item, _ENGINE_SCALARS):
            if isinstance(item, Decimal) and not item.is_finite():
                return Problem(path or "_request", f"不是有限的数字（{_special(item)}）")
        else:
            return Problem(path or "_request", _unstorable_type(item))
    return None


_ITERABLES = ("range", "generator", "set", "frozenset", "map", "filter", "zip", "dict_keys", "dict_values")


def _special(number: float | Decimal) -> str:
    if math.isnan(number) if isinstance(number, float) else number.is_nan():
        return "NaN"
    return "-Infinity" if number < 0 else "Infinity"


def _unstorable_type(item: Any) -> str:
    kind = type(item).__name__
    hint = "（可用 list(...) 转换为列表）" if kind in _ITERABLES else ""
    return f"是 {kind} 类型的值，流程数据只能保存文本、数字、是/否、日期、列表和对象{hint}"


@dataclass(frozen=True)
class LimitExceeded:
    message: str
    setting: str  # the environment variable that sets the limit
    limit: int


def size_problem(data: Mapping[str, Any], max_bytes: int, max_keys: int) -> LimitExceeded | None:
    """Why a case's data is too large to keep, naming the limit, or None. Keys are counted at
    the top level (each is a variable of every script); the byte limit bounds the rest."""
    if len(data) > max_keys:
        return LimitExceeded(
            f"数据项共 {len(data)} 个，超过上限 {max_keys} 个", "XUANPIN_MAX_INSTANCE_DATA_KEYS", max_keys
        )
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    size = len(text.encode(errors="surrogatepass"))
    if size > max_bytes:
        return LimitExceeded(
            f"数据序列化后 {_human(size)}，超过上限 {_human(max_bytes)}；"
            "附件请存放在文件系统或 OA 中，流程数据只记录其编号或链接",
            "XUANPIN_MAX_INSTANCE_DATA_BYTES",
            max_bytes,
        )
    return None


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} 字节"
