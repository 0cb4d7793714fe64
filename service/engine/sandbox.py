"""Runs scripts and expressions from diagrams under RestrictedPython with a time limit and
bounded sizes (the limits themselves are in script_limits.py).

SpiffWorkflow evaluates every script, gateway condition, timer, DMN cell and
multi-instance expression through one script engine; replacing that engine here is
what keeps an uploaded diagram from reaching the server or holding a worker.
"""

from __future__ import annotations

import ast
import builtins as _builtins
import contextlib
import copy
import re
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass, replace
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from service.engine.script_limits import (
    INSTANCES_SETTING,
    SCRIPT_FILENAME,
    GuardedStr,
    LimitExceeded,
    ListWriter,
    SandboxError,
    ScriptLimits,
    ScriptTimeout,
    binop,
    bounded_items,
    charged,
    check_data,
    format_value,
    guard_attribute,
    inplace,
    make_catch,
    run_limited,
    safe_filter,
    safe_map,
    safe_pow,
    safe_range,
    safe_repr,
    safe_sorted,
    safe_sum,
    timed_min_max,
)

__all__ = [
    "SCRIPT_FILENAME",
    "LimitExceeded",
    "SandboxError",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ScriptLimits",
    "ScriptTimeout",
    "compile_sandboxed",
    "run_limited",
    "script_effects",
]

# Exceptions that end the interpreter rather than report an error. Inside a diagram their names
# stand for ordinary script failures, so `raise SystemExit` can never stop a worker.
_EXIT_NAMES = ("BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit")


class _ForbiddenExit(SandboxError):
    def __init__(self, *_args: Any) -> None:
        super().__init__(f"脚本不能使用 {type(self).__name__} 退出或中断服务进程，已按脚本错误处理")


_ALLOWED_BUILTINS = {
    name: safe_builtins[name]
    for name in safe_builtins
    if name not in {"setattr", "delattr", "__build_class__", "id", "hash", "_getattr_", *_EXIT_NAMES}
}
_PLAIN = ("all", "any", "dict", "enumerate", "list", "reversed", "set", "tuple", "zip", "frozenset")
_ALLOWED_BUILTINS.update({name: getattr(_builtins, name) for name in _PLAIN})
# Bounded stand-ins for what could otherwise run long or grow huge inside one C call.
_ALLOWED_BUILTINS.update(
    {
        "range": safe_range,
        "pow": safe_pow,
        "sum": safe_sum,
        "map": safe_map,
        "filter": safe_filter,
        "sorted": safe_sorted,
        "min": timed_min_max(min),
        "max": timed_min_max(max),
        "repr": safe_repr,
        "str": GuardedStr,
    }
)
_ALLOWED_BUILTINS.update({name: type(name, (_ForbiddenExit,), {}) for name in _EXIT_NAMES})


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

# What an `except` clause may name: the built-in errors (all derive from Exception).
CATCHABLE: dict[str, type[Exception]] = {
    name: value
    for name, value in _ALLOWED_BUILTINS.items()
    if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, _ForbiddenExit)
}


def _getattr(obj: Any, name: str, *default: Any) -> Any:
    return guard_attribute(obj, name, safer_getattr(obj, name, *default))


def _write(obj: Any) -> Any:
    return ListWriter(obj) if type(obj) is list else full_write_guard(obj)


_GUARDS: dict[str, Any] = {
    "__builtins__": _ALLOWED_BUILTINS,
    "_getattr_": _getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": _write,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": inplace,
    "_binop_": binop,
    "_format_": format_value,
    "_items_": bounded_items,
    "_catch_": make_catch(CATCHABLE),
}

_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Mult: "*",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.Mod: "%",
}


def _call(function: str, args: list[ast.expr], where: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(function, ast.Load()), args=args, keywords=[])
    for node in ast.walk(call):
        if "lineno" in node._attributes and not hasattr(node, "lineno"):
            ast.copy_location(node, where)
    return call


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's rules plus ours: operators that can build huge values, f-string
    formatting and starred items go through bounded functions; `except` names built-in errors
    only and matches nothing once time is up; `finally` and `with` are refused, because they
    would run diagram code while the time limit unwinds it."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = super().visit_BinOp(node)
        symbol = _GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        return _call("_binop_", [ast.Constant(symbol), node.left, node.right], node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = super().visit_FormattedValue(node)
        spec: ast.expr = node.format_spec or ast.Constant("")
        node.value = _call("_format_", [node.value, ast.Constant(node.conversion), spec], node)
        node.conversion, node.format_spec = -1, None
        return node

    def _bound_starred(self, node: Any) -> Any:
        for element in node.elts:
            if isinstance(element, ast.Starred) and isinstance(element.ctx, ast.Load):
                element.value = _call("_items_", [element.value], element)
        return node

    def visit_List(self, node: ast.List) -> Any:
        return self._bound_starred(super().visit_List(node))

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return self._bound_starred(super().visit_Tuple(node))

    def visit_Set(self, node: ast.Set) -> Any:
        return self._bound_starred(super().visit_Set(node))

    def visit_Try(self, node: ast.Try) -> Any:
        if node.finalbody:
            self.error(node.finalbody[0], "流程脚本不能使用 finally（脚本超时后不能再运行任何代码）")
        return super().visit_Try(node)

    def visit_With(self, node: ast.With) -> Any:
        self.error(node, "流程脚本不能使用 with 语句")
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        node = super().visit_ExceptHandler(node)
        if node.type is None:
            names = ["Exception"]  # a bare `except:` catches errors, never the time limit
        elif isinstance(node.type, ast.Name):
            names = [node.type.id]
        elif isinstance(node.type, ast.Tuple) and all(isinstance(e, ast.Name) for e in node.type.elts):
            names = [e.id for e in node.type.elts]  # type: ignore[attr-defined]
        else:
            names = []
        unknown = [name for name in names if name not in CATCHABLE]
        if not names or unknown:
            what = "、".join(unknown) if unknown else "表达式"
            self.error(
                node,
                f"except 只能捕获内置的错误类型（如 ValueError、KeyError、Exception），不能捕获 {what}",
            )
            return node
        node.type = _call("_catch_", [ast.Constant(name) for name in names], node)
        return node


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
        return compile_restricted(source, filename=SCRIPT_FILENAME, mode=mode, policy=_Policy)
    except SyntaxError as error:
        messages = error.args[0] if error.args and isinstance(error.args[0], tuple | list) else error.args
        located = (re.sub(r"^Line (\d+): ", r"第 \1 行：", str(m)) for m in messages if m)
        reason = "；".join(located) or "语法错误"
        raise SandboxError(f"脚本不符合安全规则或有语法错误：{reason}") from None


@dataclass(frozen=True)
class ScriptEffects:
    """What a script may change in the task data: the names it binds at its top level (its
    results) and the names it deletes there. Loop variables and names bound only inside a loop
    body are temporaries and never reach the data, so scripts need no `del` to tidy up."""

    results: frozenset[str]
    deleted: frozenset[str]
    # Every name it reads: values it may have changed in place (`rows.append(x)`).
    read: frozenset[str] = frozenset()


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

    read: frozenset[str] = frozenset()
    with contextlib.suppress(SyntaxError):  # compile_sandboxed reports it
        tree = ast.parse(source, mode="exec")
        visit(tree.body)
        read = frozenset(
            node.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        )
    kept = frozenset(name for name in results if not name.startswith("_")) - frozenset(deleted)
    return ScriptEffects(results=kept, deleted=frozenset(deleted), read=read)


_CONTAINERS = (list, tuple, set, frozenset, dict)


def _limits(time_limit: float | None, limits: ScriptLimits | None) -> ScriptLimits:
    chosen = limits or ScriptLimits()
    return chosen if time_limit is None else replace(chosen, time_limit=time_limit)


class SandboxedEnvironment(TaskDataEnvironment):
    """Task data in, task data out, as SpiffWorkflow expects, but through RestrictedPython."""

    def __init__(
        self,
        helpers: Mapping[str, Any] | None = None,
        time_limit: float | None = None,
        limits: ScriptLimits | None = None,
    ) -> None:
        super().__init__({name: charged(f) if callable(f) else f for name, f in (helpers or {}).items()})
        self.limits = _limits(time_limit, limits)

    @property
    def time_limit(self) -> float:
        return self.limits.time_limit

    def _namespace(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        namespace: dict[str, Any] = dict(self.globals)
        namespace.update(context)
        namespace.update(external or {})  # after the data: a data item cannot shadow `shezhi`
        namespace.update(_GUARDS)
        return namespace

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = compile_sandboxed(expression.strip(), "eval")
        value = run_limited(code, self._namespace(context, external_context), self.limits, "eval")
        check_data(value, "表达式结果", self.limits)
        return value

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = compile_sandboxed(script, "exec")
        effects = script_effects(script)
        namespace = self._namespace(context, external_context)
        run_limited(code, namespace, self.limits, "exec")
        # Only on success: a failed script leaves the data as it found it (save for values it
        # changed in place, which the failed step's transaction discards anyway).
        results = {}
        for key in effects.results:
            if external_context and key in external_context:
                continue  # `shezhi` and other read-only context never become data
            if key in namespace and not callable(namespace[key]):
                check_data(namespace[key], key, self.limits)
                results[key] = namespace[key]
        for key in effects.read - effects.results:
            if isinstance(context.get(key), _CONTAINERS):
                check_data(context[key], key, self.limits, sizes=False)
        context.update(results)
        for key in effects.deleted:
            context.pop(key, None)
        return True


SETTINGS_NAME = "shezhi"
# A script task's `xuanpin:consumes` property names the values (a person's form fields, facts
# computed for a decision table) the step records and then takes out of the case's data;
# `xuanpin:optional` names values that may be missing (an optional field, an earlier round's
# result). The script reads both, absent ones left out, in the read-only dict `biaodan`
# (`biaodan.get("paichu_renyuan", [])`), so it needs no `try: … except NameError` and no `del`.
CONSUMES_PROPERTY = "xuanpin:consumes"
OPTIONAL_PROPERTY = "xuanpin:optional"
CONSUMED_NAME = "biaodan"


def _listed(task: Any, prop: str) -> list[str]:
    extensions = getattr(getattr(task, "task_spec", None), "extensions", None) or {}
    return [name.strip() for name in str(extensions.get(prop) or "").split(",") if name.strip()]


def _with_settings(task: Any, external_context: Mapping[str, Any] | None) -> dict[str, Any]:
    """The process's diagram settings (`xuanpin:setting.*`) as `shezhi`, a fresh copy each time
    so no script can change them for the next one."""
    spec = getattr(getattr(task, "workflow", None), "spec", None)
    settings = copy.deepcopy(getattr(spec, "xuanpin_settings", None) or {})
    return {**(external_context or {}), SETTINGS_NAME: settings}


class SandboxedScriptEngine(PythonScriptEngine):
    def __init__(
        self,
        helpers: Mapping[str, Any] | None = None,
        time_limit: float | None = None,
        limits: ScriptLimits | None = None,
    ) -> None:
        self.limits = _limits(time_limit, limits)
        super().__init__(environment=SandboxedEnvironment(helpers, limits=self.limits))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        value = super().evaluate(task, expression, _with_settings(task, external_context))
        spec = getattr(task, "task_spec", None)
        if isinstance(spec, MultiInstanceTask) and spec.cardinality and expression == spec.cardinality:
            self._check_cardinality(task, value)
        return value

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        consumed = _listed(task, CONSUMES_PROPERTY)
        given = consumed + _listed(task, OPTIONAL_PROPERTY)
        context = _with_settings(task, external_context)
        if given:
            context[CONSUMED_NAME] = {k: copy.deepcopy(task.data[k]) for k in given if k in task.data}
        result = super().execute(task, script, context)
        # Recorded by the script (e.g. into the list of applications): out of the case's data, so
        # the next person's form opens blank and no temporary lingers.
        for key in set(consumed) - script_effects(script).results:
            task.data.pop(key, None)
        return result

    def validate(self, expression: str) -> None:
        # SpiffWorkflow's DMN engine probes cells such as `< 2` and expects SyntaxError.
        try:
            compile_sandboxed(expression, "eval")
        except SandboxError as error:
            raise SyntaxError(str(error)) from None

    def _check_cardinality(self, task: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            # SpiffWorkflow's Camunda dialect would take a collection here as the input data and
            # rewrite the (shared, cached) task spec to say so; refuse instead.
            kind = "集合" if isinstance(value, Sized) and not isinstance(value, str) else type(value).__name__
            raise WorkflowTaskException(
                f"多实例活动「{_title(task)}」的循环次数（loopCardinality）应为整数，实际是{kind}；"
                "要为集合中的每一项各建一个实例，请改用 camunda:collection",
                task=task,
            )
        self._check_instance_count(task, value)

    def check_instances(self, task: Any) -> None:
        """Called (spiff_patches) before a multi-instance activity creates its instances."""
        spec = task.task_spec
        if spec.data_input is not None and spec.data_input.exists(task):
            collection = spec.data_input.get(task)
            if isinstance(collection, Sized):
                self._check_instance_count(task, len(collection))

    def _check_instance_count(self, task: Any, count: int) -> None:
        limit = self.limits.max_instances
        if count < 0 or count > limit:
            raise WorkflowTaskException(
                f"多实例活动「{_title(task)}」要创建 {count} 个实例，超过上限 {limit}（{INSTANCES_SETTING}）",
                task=task,
            )


def element_name(spec: Any) -> str | None:
    """The name a person gave the element; a multi-instance activity keeps it on its inner task."""
    name = getattr(spec, "bpmn_name", None)
    inner = getattr(spec, "task_spec", None)
    process = getattr(spec, "_wf_spec", None)
    if not name and isinstance(inner, str) and process is not None:
        name = getattr(process.task_specs.get(inner), "bpmn_name", None)
    return name


def _title(task: Any) -> str:
    spec = task.task_spec
    return str(element_name(spec) or getattr(spec, "bpmn_id", None) or spec.name)
