"""What diagram code may spend: time, sizes, and the instances of one multi-instance activity.

The time limit is enforced by a trace hook and cannot be caught or refunded:

- when time is up, `_Expired` is raised in the script. It derives from BaseException, so
  `except Exception` does not catch it, and every `except` clause of diagram code is compiled
  to `except _catch_(…)`, which names no exception at all once time is up;
- CPython drops a trace hook that raised, so checking again on the next line is not enough
  (that is how `try: … except Exception: pass` used to defeat the limit). Instead nothing of
  the diagram may run while `_Expired` unwinds: `finally` and `with` are refused at compile time
  and no handler matches; the exception reaches `run_limited`, which reports it as
  `ScriptTimeout`, an ordinary error SpiffWorkflow records against the step;
- time spent in platform helpers counts: they check the clock on entry and exit, and pure
  domain code (`service/domain`) is traced line by line, so a helper can be stopped midway.
  Only time that is not the diagram's work is given back — waiting on the database for the
  working-day calendar (`platform_read`) and full garbage collections, which scan the whole
  process heap — and never more than the time limit once more: a diagram holds a thread at
  most twice its limit, whatever it does.

A single C-level call cannot be interrupted by any hook (it holds the interpreter lock), so
every operation able to do much work in one C call goes through a guard here instead: `range`,
`*` `+` `**` `<<` `%` on sequences and integers, f-string widths, padding and joining strings,
`str()` of nested data, and the callables `map`, `filter`, `sorted`… apply per item. What is left
(e.g. comparing two huge nested structures built from shared references) is stopped only at the
process boundary: gunicorn kills a worker that stops answering for its `timeout` (60 s) and the
step's transaction is rolled back with it.
"""

from __future__ import annotations

import builtins as _builtins
import contextlib
import gc
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass
from decimal import Decimal
from types import FrameType
from typing import Any

import service.domain

SCRIPT_FILENAME = "<流程脚本>"

# Python's own limit for converting integers to text (sys.int_info.default_max_str_digits).
MAX_INT_DIGITS = 4300
MAX_INT_BITS = int(MAX_INT_DIGITS * 3.33)
# Nesting of data a script leaves behind (JSON readers and writers recurse).
MAX_DEPTH = 100

ITEMS_SETTING = "XUANPIN_SCRIPT_MAX_ITEMS"
STRING_SETTING = "XUANPIN_SCRIPT_MAX_STRING"
INSTANCES_SETTING = "XUANPIN_MAX_INSTANCES_PER_ACTIVITY"

# Pure domain code: safe to stop at any line (no I/O, no locks, no state left half-changed).
_INTERRUPTIBLE = (os.path.dirname(service.domain.__file__) + os.sep,)


class SandboxError(Exception):
    """A script did something the sandbox forbids or ran out of time."""


class ScriptTimeout(SandboxError):
    pass


class LimitExceeded(SandboxError):
    """A script tried to build something larger than the configured limits allow."""


class _Expired(BaseException):
    """Raised inside diagram code when its time is up; see the module docstring."""


@dataclass(frozen=True)
class ScriptLimits:
    time_limit: float = 1.0
    # Longest list, tuple, set, dict or range a script may build (and leave in the data).
    max_items: int = 10_000
    # Longest string a script may build.
    max_string: int = 100_000
    # Most instances one multi-instance activity may create (its cardinality or collection).
    max_instances: int = 200


class _Run:
    def __init__(self, limits: ScriptLimits, outer: _Run | None) -> None:
        self.limits = limits
        self.expires = time.monotonic() + limits.time_limit
        # Time that was not the diagram's work, given back at most once the limit in all.
        self.allowance = limits.time_limit
        if outer is not None:  # a nested run never extends the time of the one around it
            self.expires = min(self.expires, outer.expires)
            self.allowance = 0.0

    def expired(self) -> bool:
        return time.monotonic() > self.expires

    def give_back(self, seconds: float) -> None:
        granted = min(max(seconds, 0.0), self.allowance)
        self.allowance -= granted
        self.expires += granted


_state = threading.local()
_DEFAULT_LIMITS = ScriptLimits()
_active: set[_Run] = set()  # runs of every thread: a full garbage collection stalls them all
_collection_started = [0.0]


def _full_collection(phase: str, info: dict[str, int]) -> None:
    """A full collection scans the whole process heap, however little the script allocated;
    its pause is given back to every running script (within their allowance)."""
    if not _active or info.get("generation") != 2:
        return
    if phase == "start":
        _collection_started[0] = time.monotonic()
    else:
        paused = time.monotonic() - _collection_started[0]
        for run in list(_active):
            run.give_back(paused)


gc.callbacks.append(_full_collection)


def _current() -> _Run | None:
    return getattr(_state, "run", None)


def current_limits() -> ScriptLimits:
    run = _current()
    return run.limits if run is not None else _DEFAULT_LIMITS


@contextlib.contextmanager
def platform_read() -> Iterator[None]:
    """Around a helper's read of shared platform data (the working-day calendar from the
    database): database latency, not the diagram's work, so it is given back to the script,
    within the run's allowance (at most the time limit itself, however often it is called)."""
    run = _current()
    started = time.monotonic()
    try:
        yield
    finally:
        if run is not None:
            run.give_back(time.monotonic() - started)


def check_time() -> None:
    run = _current()
    if run is not None and time.monotonic() > run.expires:
        raise _Expired


class _Tracer:
    def __init__(self, run: _Run) -> None:
        self.run = run

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        filename = frame.f_code.co_filename
        if filename == SCRIPT_FILENAME:
            # Opcode events, because a one-line loop never emits a second line event.
            frame.f_trace_opcodes = True
        elif not filename.startswith(_INTERRUPTIBLE):
            return None  # other trusted code (the database, SpiffWorkflow) runs untraced
        return self._local(frame, event, arg)

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if time.monotonic() > self.run.expires:
            raise _Expired
        return self._local


def run_limited(code: Any, namespace: dict[str, Any], limits: ScriptLimits, mode: str) -> Any:
    outer = _current()
    run = _Run(limits, outer)
    previous = sys.gettrace()
    _state.run = run
    _active.add(run)
    sys.settrace(_Tracer(run))
    try:
        if mode == "eval":
            return eval(code, namespace)
        exec(code, namespace)
        return None
    except _Expired:
        raise ScriptTimeout(f"脚本运行超过 {limits.time_limit:g} 秒，已被终止") from None
    except (SystemExit, KeyboardInterrupt, GeneratorExit):
        raise  # the process's own (a signal, a shutdown): diagram code cannot reach these classes
    except BaseException as error:
        if isinstance(error, Exception):
            raise
        # `raise ValueError.mro()[2]` reaches the bare BaseException class: a script failure too.
        raise SandboxError(f"脚本不能引发 {type(error).__name__}，已按脚本错误处理") from None
    finally:
        sys.settrace(previous)
        _active.discard(run)
        _state.run = outer


def charged(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a platform helper: its time counts against the script (no refund), the clock is
    checked when it is called and when it returns, and its arguments may not be
    self-referencing or blown up by shared references."""

    def call(*args: Any, **kwargs: Any) -> Any:
        check_time()
        limits = current_limits()
        for value in (*args, *kwargs.values()):
            if isinstance(value, list | tuple | set | frozenset | dict):
                check_data(value, "函数参数", limits, sizes=False)
        result = function(*args, **kwargs)
        check_time()
        return result

    call.__name__ = getattr(function, "__name__", "helper")
    call.__qualname__ = getattr(function, "__qualname__", call.__name__)
    call.__doc__ = function.__doc__
    call.__wrapped__ = function  # type: ignore[attr-defined]
    return call


# Sizes ------------------------------------------------------------------------------------


def _too_long(kind: str, length: int, limit: int, setting: str) -> LimitExceeded:
    return LimitExceeded(f"{kind}长度 {length} 超过上限 {limit}（{setting}）")


def _check_length(sample: Any, length: int) -> None:
    """`length` is what an operation on values like `sample` would produce."""
    limits = current_limits()
    if isinstance(sample, str | bytes):
        if length > limits.max_string:
            raise _too_long("字符串", length, limits.max_string, STRING_SETTING)
    elif length > limits.max_items:
        raise _too_long("列表", length, limits.max_items, ITEMS_SETTING)


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(f"整数过大（约 {int(bits / 3.33)} 位），超过上限 {MAX_INT_DIGITS} 位")


_SEQUENCES = (str, bytes, list, tuple)


def binop(op: str, a: Any, b: Any) -> Any:
    """`a op b` for the operators that can build a huge value in one step."""
    if op == "*":
        if isinstance(a, _SEQUENCES) and isinstance(b, int):
            _check_length(a, len(a) * b)
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            _check_length(b, len(b) * a)
        elif isinstance(a, int) and isinstance(b, int):
            _check_bits(a.bit_length() + b.bit_length())
        return a * b
    if op == "+":
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            _check_length(a, len(a) + len(b))
        return a + b
    if op == "**":
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            _check_bits(a.bit_length() * b)
        return a**b
    if op == "<<":
        if isinstance(a, int) and isinstance(b, int) and a != 0 and b > 0:
            _check_bits(a.bit_length() + b)
        return a << b
    if op == "%":
        if isinstance(a, str | bytes):
            _check_percent_format(a, b)
        return a % b
    raise SandboxError(f"不支持的运算 {op}")


_DIRECT: dict[str, Callable[[Any, Any], Any]] = {
    "-=": lambda a, b: a - b,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "|=": lambda a, b: a | b,
    "&=": lambda a, b: a & b,
    "^=": lambda a, b: a ^ b,
    ">>=": lambda a, b: a >> b,
}


def inplace(op: str, a: Any, b: Any) -> Any:
    """`a op= b` (RestrictedPython rewrites it to a call of `_inplacevar_`)."""
    if op in _DIRECT:
        return _DIRECT[op](a, b)
    if op in {"+=", "*=", "**=", "<<=", "%="}:
        return binop(op[:-1], a, b)
    raise SandboxError(f"不支持的运算 {op}")


def safe_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None:
        return binop("**", base, exp)
    return _builtins.pow(base, exp, mod)  # modular: bounded by the modulus


def safe_range(*args: Any) -> range:
    numbers = _builtins.range(*args)
    try:
        length = len(numbers)
    except OverflowError:
        length = sys.maxsize
    limit = current_limits().max_items
    if length > limit:
        raise LimitExceeded(f"range 的长度 {length} 超过上限 {limit}（{ITEMS_SETTING}）")
    return numbers


def bounded_items(iterable: Any) -> list[Any]:
    """The items of an iterable that is about to become (part of) a new collection."""
    limit = current_limits().max_items
    if isinstance(iterable, Sized) and len(iterable) > limit:
        raise _too_long("列表", len(iterable), limit, ITEMS_SETTING)
    items = []
    for index, item in enumerate(iterable):
        if index >= limit:
            raise LimitExceeded(f"列表长度超过上限 {limit}（{ITEMS_SETTING}）")
        if not index % 64:
            check_time()
        items.append(item)
    return items


def _timed_items(iterable: Iterable[Any]) -> Iterator[Any]:
    for index, item in enumerate(iterable):
        if not index % 64:
            check_time()
        yield item


def _timed(function: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """A callable a C loop applies per item (a sort key, a map function) checks the clock."""
    if function is None:
        return None

    def call(*args: Any) -> Any:
        check_time()
        return function(*args)

    return call


def safe_map(function: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
    for args in zip(*iterables, strict=False):
        check_time()
        yield function(*args)


def safe_filter(function: Callable[[Any], Any] | None, iterable: Any) -> Iterator[Any]:
    for item in iterable:
        check_time()
        if function(item) if function is not None else item:
            yield item


def safe_sorted(iterable: Any, /, *, key: Callable[[Any], Any] | None = None, reverse: bool = False) -> Any:
    return _builtins.sorted(_timed_items(iterable), key=_timed(key), reverse=reverse)


def timed_min_max(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("key") is not None:
            kwargs["key"] = _timed(kwargs["key"])
        if len(args) == 1:
            args = (_timed_items(args[0]),)
        return function(*args, **kwargs)

    call.__name__ = function.__name__
    return call


def safe_sum(iterable: Any, /, start: Any = 0) -> Any:
    if isinstance(start, int | float | complex | Decimal):
        return _builtins.sum(_timed_items(iterable), start)
    total = start  # lists or tuples: concatenation, bounded like `+`
    for item in _timed_items(iterable):
        total = binop("+", total, item)
    return total


# Text -------------------------------------------------------------------------------------


_END = object()


def rendered_length(value: Any, budget: int) -> int:
    """An estimate of len(str(value)) that stops once it passes `budget`: the text of a list
    holding the same list many times grows exponentially with its nesting. A loop, not
    recursion: it runs under the script's trace hook, which is called for every Python call."""
    used = 0
    pending: list[Iterator[Any]] = [iter((value,))]
    owners: list[int] = [0]
    path: set[int] = set()
    while pending:
        item = next(pending[-1], _END)
        if item is _END:
            pending.pop()
            path.discard(owners.pop())
            continue
        if isinstance(item, str | bytes):
            used += len(item) + 4
        elif isinstance(item, int):
            used += item.bit_length() // 3 + 4
        elif isinstance(item, list | tuple | set | frozenset | dict):
            if id(item) in path:
                used += 5  # printed as [...]
            else:
                if len(pending) > MAX_DEPTH:
                    raise LimitExceeded(f"数据嵌套超过 {MAX_DEPTH} 层")
                path.add(id(item))
                owners.append(id(item))
                pending.append(iter(item.items() if isinstance(item, dict) else item))
                used += 2
        else:
            used += 40
        if used > budget:
            raise _too_long("字符串", used, budget, STRING_SETTING)
    return used


def _check_rendering(value: Any) -> None:
    if isinstance(value, list | tuple | set | frozenset | dict):
        rendered_length(value, current_limits().max_string)


def _check_width(spec: str) -> None:
    limit = current_limits().max_string
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 9 or int(digits) > limit:
            raise _too_long("字符串", int(digits) if len(digits) <= 9 else 10**9, limit, STRING_SETTING)


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_percent_format(template: str | bytes, args: Any) -> None:
    budget = current_limits().max_string
    text = template if isinstance(template, str) else template.decode("latin-1")
    used = len(template)
    for match in _PERCENT.finditer(text):
        for part in match.groups():
            if part == "*":
                raise LimitExceeded("格式化字符串中不能用 * 指定宽度或精度，请直接写出数字")
            if part:
                used += int(part) if len(part) <= 9 else 10**9
    if used > budget:
        raise _too_long("字符串", used, budget, STRING_SETTING)
    values = args.values() if isinstance(args, Mapping) else args if isinstance(args, tuple) else (args,)
    for value in values:
        used += rendered_length(value, budget - used)


def safe_repr(value: Any) -> str:
    _check_rendering(value)
    return repr(value)


def format_value(value: Any, conversion: int, spec: str) -> str:
    """One `{value!conversion:spec}` of an f-string."""
    _check_width(spec)
    if conversion == ord("r"):
        value = safe_repr(value)
    elif conversion == ord("a"):
        _check_rendering(value)
        value = ascii(value)
    else:
        _check_rendering(value)
        if conversion == ord("s"):
            value = str(value)
    return format(value, spec)


def _padding(method: Callable[..., Any], text: str | bytes) -> Callable[..., Any]:
    def call(width: Any, *args: Any) -> Any:
        if isinstance(width, int):
            _check_length(text, width)
        return method(width, *args)

    return call


def _guarded_text_method(text: str | bytes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if name in {"ljust", "rjust", "center", "zfill"}:
        return _padding(method, text)
    tab = "\t" if isinstance(text, str) else b"\t"
    if name == "expandtabs":

        def expandtabs(tabsize: Any = 8) -> Any:
            if isinstance(tabsize, int):
                _check_length(text, len(text) + text.count(tab) * max(tabsize, 0))  # type: ignore[arg-type]
            return method(tabsize)

        return expandtabs
    if name == "replace":

        def replace(old: Any, new: Any, count: Any = -1) -> Any:
            if isinstance(old, str | bytes) and isinstance(new, str | bytes) and isinstance(count, int):
                found = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
                if count >= 0:
                    found = min(found, count)
                _check_length(text, len(text) + found * (len(new) - len(old)))
            return method(old, new, count)

        return replace
    if name == "join":

        def join(iterable: Any) -> Any:
            items = bounded_items(iterable)
            total = len(text) * max(len(items) - 1, 0)
            total += sum(len(item) for item in items if isinstance(item, str | bytes))
            _check_length(text, total)
            return method(items)

        return join
    if name == "translate" and isinstance(text, str):

        def translate(table: Any) -> Any:
            if isinstance(table, Mapping):
                longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
                _check_length(text, len(text) * max(longest, 1))
            return method(table)

        return translate
    return method


_TEXT_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "translate"}


def guard_attribute(obj: Any, name: str, value: Any) -> Any:
    """Replace a method reached by a script with its bounded version, where it has one."""
    if isinstance(obj, str | bytes) and name in _TEXT_METHODS and callable(value):
        return _guarded_text_method(obj, name, value)
    if isinstance(obj, list) and name == "extend":

        def extend(iterable: Any) -> None:
            items = bounded_items(iterable)
            _check_length(obj, len(obj) + len(items))
            obj.extend(items)

        return extend
    if isinstance(obj, list) and name == "sort":

        def sort(*, key: Any = None, reverse: bool = False) -> None:
            obj.sort(key=_timed(key), reverse=reverse)

        return sort
    if isinstance(obj, int) and name == "to_bytes":

        def to_bytes(length: Any = 1, *args: Any, **kwargs: Any) -> Any:
            if isinstance(length, int):
                _check_length(b"", length)
            return value(length, *args, **kwargs)

        return to_bytes
    return value


class _GuardedType(type):
    """The metaclass of `str` as scripts see it: isinstance, issubclass and class attributes
    behave as the real type's, calling it renders nested data only within the limits."""

    _real: type

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls._real)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls._real)

    def __getattr__(cls, name: str) -> Any:
        if name in {"format", "format_map"}:
            raise SandboxError('脚本中不能使用 str.format，请改用 f-string（f"{值}"）')
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(cls._real, name)
        if name in _TEXT_METHODS:
            # str.join(sep, items): the unbound method, bounded like the bound one.
            return lambda text, *args: _guarded_text_method(text, name, getattr(text, name))(*args)
        return value

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs:
            _check_rendering(args[0])
        return cls._real(*args, **kwargs)


class GuardedStr(metaclass=_GuardedType):
    _real = str


class ListWriter:
    """`_write_(a_list)` for `a_list[i:j] = items`, which can otherwise double a list per step."""

    __slots__ = ("_list",)

    def __init__(self, target: list[Any]) -> None:
        self._list = target

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice):
            value = bounded_items(value)
            removed = len(range(*key.indices(len(self._list))))
            _check_length(self._list, len(self._list) - removed + len(value))
        self._list[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._list[key]


# Data a script leaves behind -----------------------------------------------------------------


_NOT_DATA = (
    range,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
    type,
)


def check_data(value: Any, name: str, limits: ScriptLimits, *, sizes: bool = True) -> None:
    """Refuse values the service cannot store, before they reach the data: functions,
    generators and other iterators, cycles, nesting deeper than MAX_DEPTH, and structures that
    shared references blow up (stored as JSON, `[x] * 10` holds ten copies of x). With `sizes`,
    also every collection and string over the limits."""
    extra_budget = 10 * limits.max_items
    expanded: dict[int, int] = {}  # container id -> values it stands for once written out
    path: set[int] = set()
    distinct = 0

    def refuse(why: str) -> LimitExceeded:
        return LimitExceeded(f"脚本结果「{name}」{why}")

    def visit(item: Any, depth: int) -> int:
        nonlocal distinct
        if item is None or isinstance(item, bool | int | float | Decimal):
            return 1
        if isinstance(item, str | bytes):
            if sizes and len(item) > limits.max_string:
                raise refuse(f"中的字符串长度 {len(item)} 超过上限 {limits.max_string}（{STRING_SETTING}）")
            return 1
        if isinstance(item, list | tuple | set | frozenset | dict):
            key = id(item)
            if key in path:
                raise refuse("引用了自身（循环引用），无法保存")
            if key in expanded:
                return expanded[key]
            if depth >= MAX_DEPTH:
                raise refuse(f"嵌套超过 {MAX_DEPTH} 层，无法保存")
            if sizes and len(item) > limits.max_items:
                raise refuse(f"中的列表长度 {len(item)} 超过上限 {limits.max_items}（{ITEMS_SETTING}）")
            path.add(key)
            total = 1
            for element in item.items() if isinstance(item, dict) else item:
                if isinstance(item, dict):
                    total += visit(element[0], depth + 1) + visit(element[1], depth + 1)
                else:
                    total += visit(element, depth + 1)
            path.discard(key)
            expanded[key] = total
            distinct += 1 + (2 * len(item) if isinstance(item, dict) else len(item))
            if total - distinct > extra_budget:
                raise refuse(f"因重复引用展开后超过 {extra_budget} 项，无法保存")
            return total
        if callable(item) or isinstance(item, (Iterator, *_NOT_DATA)):
            raise refuse(f"中含有不能保存的值（{type(item).__name__}），请转换为列表、字典、字符串或数字")
        return 1

    visit(value, 0)


def make_catch(classes: Mapping[str, type[Exception]]) -> Callable[..., tuple[type[Exception], ...]]:
    """`_catch_`: what an `except` clause of diagram code names, and nothing once time is up,
    so no handler of the script runs while the time limit unwinds it."""

    def catch(*names: str) -> tuple[type[Exception], ...]:
        run = _current()
        if run is not None and run.expired():
            return ()
        return tuple(classes[name] for name in names)

    return catch
