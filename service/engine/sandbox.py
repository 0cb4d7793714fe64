"""Runs scripts and expressions from diagrams under RestrictedPython with a time limit.

SpiffWorkflow evaluates every script, gateway condition, timer, DMN cell and
multi-instance expression through one script engine; replacing that engine here is
what keeps an uploaded diagram from reaching the server.
"""

from __future__ import annotations

import ast
import builtins as _builtins
import contextlib
import copy
import functools
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from RestrictedPython import compile_restricted, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

SCRIPT_FILENAME = "<流程脚本>"


class SandboxError(Exception):
    """A script did something the sandbox forbids or ran out of time."""


class ScriptTimeout(SandboxError):
    pass


_ALLOWED_BUILTINS = {
    name: safe_builtins[name]
    for name in safe_builtins
    if name not in {"setattr", "delattr", "__build_class__", "id", "hash", "_getattr_"}
}
_ALLOWED_BUILTINS.update(
    {
        name: getattr(_builtins, name)
        for name in (
            "all",
            "any",
            "dict",
            "enumerate",
            "filter",
            "list",
            "map",
            "max",
            "min",
            "reversed",
            "set",
            "sorted",
            "sum",
            "tuple",
            "zip",
            "frozenset",
        )
    }
)


def _forbidden(name: str, why: str) -> Callable[..., Any]:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise SandboxError(f"脚本中不允许使用 {name}：{why}")

    return refuse


_ALLOWED_BUILTINS.update(
    {
        "__import__": _forbidden("import", "流程脚本不能导入模块，请使用平台提供的函数"),
        "open": _forbidden("open", "流程脚本不能读写文件"),
        "eval": _forbidden("eval", "不能动态执行代码"),
        "exec": _forbidden("exec", "不能动态执行代码"),
        "compile": _forbidden("compile", "不能动态编译代码"),
        "globals": _forbidden("globals", "不能访问解释器内部"),
        "locals": _forbidden("locals", "不能访问解释器内部"),
        "vars": _forbidden("vars", "不能访问解释器内部"),
        "getattr": _forbidden("getattr", "不能动态访问属性"),
        "input": _forbidden("input", "脚本不能等待输入"),
        "breakpoint": _forbidden("breakpoint", "脚本不能进入调试器"),
    }
)


def _inplace(op: str, x: Any, y: Any) -> Any:
    operators: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
        "**=": lambda a, b: a**b,
        "|=": lambda a, b: a | b,
        "&=": lambda a, b: a & b,
    }
    if op not in operators:
        raise SandboxError(f"不支持的运算 {op}")
    return operators[op](x, y)


_GUARDS: dict[str, Any] = {
    "__builtins__": _ALLOWED_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplace,
}


@lru_cache(maxsize=2048)
def compile_sandboxed(source: str, mode: str) -> CodeType:
    """Compile once per distinct source; raises SandboxError with RestrictedPython's reasons."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as error:
        raise SandboxError(f"第 {error.lineno} 行有语法错误：{error.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise SandboxError(f"第 {node.lineno} 行：流程脚本不能导入模块（import），请使用平台提供的函数")
    try:
        return compile_restricted(source, filename=SCRIPT_FILENAME, mode=mode)
    except SyntaxError as error:
        messages = error.args[0] if error.args and isinstance(error.args[0], tuple) else error.args
        reason = "；".join(str(m) for m in messages if m) or "语法错误"
        raise SandboxError(f"脚本不符合安全规则或有语法错误：{reason}") from None


class _Deadline:
    """A per-thread trace hook that stops sandboxed frames once their budget is spent.

    Only frames compiled from diagram code are traced line by line, so trusted helper
    functions run at full speed.
    """

    def __init__(self, seconds: float) -> None:
        self.expires = time.monotonic() + seconds
        self.seconds = seconds

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        # Opcode events, because a one-line loop never emits a second line event.
        frame.f_trace_opcodes = True
        self._check()
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        self._check()
        return self._local

    def _check(self) -> None:
        if time.monotonic() > self.expires:
            raise ScriptTimeout(f"脚本运行超过 {self.seconds:g} 秒，已被终止")


_running = threading.local()


def _trusted(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a platform helper so the time it spends (e.g. reading the calendar from the
    database) is not charged to the diagram's script budget."""

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        try:
            return function(*args, **kwargs)
        finally:
            deadline = getattr(_running, "deadline", None)
            if deadline is not None:
                deadline.expires += time.monotonic() - started

    return call


def run_limited(code: CodeType, namespace: dict[str, Any], seconds: float, mode: str) -> Any:
    previous = sys.gettrace()
    deadline = _Deadline(seconds)
    _running.deadline = deadline
    sys.settrace(deadline)
    try:
        if mode == "eval":
            return eval(code, namespace)
        exec(code, namespace)
        return None
    finally:
        sys.settrace(previous)


@dataclass(frozen=True)
class ScriptEffects:
    """What a script may change in the task data: the names it binds at its top level (its
    results) and the names it deletes there. Loop variables and names bound only inside a loop
    body are temporaries and never reach the data, so scripts need no `del` to tidy up."""

    results: frozenset[str]
    deleted: frozenset[str]


def _bound_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound_names(element)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []  # subscripts and attributes change an existing value in place


@lru_cache(maxsize=2048)
def script_effects(source: str) -> ScriptEffects:
    """Read a script's results from its top-level statements (and the branches of top-level
    `if`/`try`/`with`, which still run once)."""
    results: list[str] = []
    deleted: list[str] = []

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.Assign):
                for target in statement.targets:
                    results.extend(_bound_names(target))
            elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
                results.extend(_bound_names(statement.target))
            elif isinstance(statement, ast.Delete):
                for target in statement.targets:
                    deleted.extend(_bound_names(target))
            elif isinstance(statement, ast.If):
                visit(statement.body)
                visit(statement.orelse)
            elif isinstance(statement, ast.Try | ast.TryStar):
                visit(statement.body)
                for handler in statement.handlers:
                    visit(handler.body)
                visit(statement.orelse)
                visit(statement.finalbody)
            elif isinstance(statement, ast.With):
                visit(statement.body)

    with contextlib.suppress(SyntaxError):  # compile_sandboxed reports it
        visit(ast.parse(source, mode="exec").body)
    kept = frozenset(name for name in results if not name.startswith("_")) - frozenset(deleted)
    return ScriptEffects(results=kept, deleted=frozenset(deleted))


class SandboxedEnvironment(TaskDataEnvironment):
    """Task data in, task data out, as SpiffWorkflow expects, but through RestrictedPython."""

    def __init__(self, helpers: Mapping[str, Any] | None = None, time_limit: float = 1.0) -> None:
        super().__init__({name: _trusted(f) if callable(f) else f for name, f in (helpers or {}).items()})
        self.time_limit = time_limit

    def _namespace(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        namespace: dict[str, Any] = dict(self.globals)
        namespace.update(context)
        namespace.update(external or {})  # after the data: a data item cannot shadow `shezhi`
        namespace.update(_GUARDS)
        return namespace

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = compile_sandboxed(expression.strip(), "eval")
        return run_limited(code, self._namespace(context, external_context), self.time_limit, "eval")

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = compile_sandboxed(script, "exec")
        effects = script_effects(script)
        namespace = self._namespace(context, external_context)
        run_limited(code, namespace, self.time_limit, "exec")
        # Only on success: a failed script leaves the data as it found it (save for values it
        # changed in place, which the failed step's transaction discards anyway).
        for key in effects.results:
            if external_context and key in external_context:
                continue  # `shezhi` and other read-only context never become data
            if key in namespace and not callable(namespace[key]):
                context[key] = namespace[key]
        for key in effects.deleted:
            context.pop(key, None)
        return True


SETTINGS_NAME = "shezhi"


def _with_settings(task: Any, external_context: Mapping[str, Any] | None) -> dict[str, Any]:
    """The process's diagram settings (`xuanpin:setting.*`) as `shezhi`, a fresh copy each time
    so no script can change them for the next one."""
    spec = getattr(getattr(task, "workflow", None), "spec", None)
    settings = copy.deepcopy(getattr(spec, "xuanpin_settings", None) or {})
    return {**(external_context or {}), SETTINGS_NAME: settings}


class SandboxedScriptEngine(PythonScriptEngine):
    def __init__(self, helpers: Mapping[str, Any] | None = None, time_limit: float = 1.0) -> None:
        super().__init__(environment=SandboxedEnvironment(helpers, time_limit))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        return super().evaluate(task, expression, _with_settings(task, external_context))

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        return super().execute(task, script, _with_settings(task, external_context))

    def validate(self, expression: str) -> None:
        # SpiffWorkflow's DMN engine probes cells such as `< 2` and expects SyntaxError.
        try:
            compile_sandboxed(expression, "eval")
        except SandboxError as error:
            raise SyntaxError(str(error)) from None
