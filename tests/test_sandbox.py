"""The script sandbox: RestrictedPython plus a time limit and bounded sizes, for every script and
expression; issue 9 findings 1–4 (a diagram can never hold a worker)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest

from service.config import Settings
from service.domain.workdays import WorkCalendar, add_workdays
from service.engine import sandbox, script_limits
from service.engine.errors import ExecutionError
from service.engine.parser import SourceFile, parse_definitions
from service.engine.runtime import ProcessEngine
from service.engine.sandbox import (
    LimitExceeded,
    SandboxedEnvironment,
    SandboxError,
    ScriptLimits,
    ScriptTimeout,
    compile_sandboxed,
)
from service.engine.timers import calendar_helpers
from tests import bpmn


@pytest.fixture()
def env():
    return SandboxedEnvironment({"double": lambda x: 2 * x}, time_limit=0.3)


def test_scripts_read_and_write_task_data(env):
    data = {"scores": [90, 80, 70]}
    env.execute("total = sum(scores)\navg = total / len(scores)\nbest = double(max(scores))", data)
    assert data == {"scores": [90, 80, 70], "total": 240, "avg": 80.0, "best": 180}
    assert env.evaluate("avg >= 80 and best > 100", data) is True


def test_helpers_and_guards_do_not_leak_into_task_data(env):
    data = {"a": 1}
    env.execute("b = a + 1\nc = {'k': [i for i in range(3)]}\nb += 1", data)
    assert data == {"a": 1, "b": 3, "c": {"k": [0, 1, 2]}}


def test_only_top_level_results_reach_the_data(env):
    """A script's results are the names it binds at its top level (also in the branches of a
    top-level if/try); loop variables and names bound only inside a loop are temporaries."""
    data = {"rows": [{"n": 1}, {"n": 2}]}
    env.execute(
        "total = 0\nfor row in rows:\n    part = row['n'] * 10\n    total += part\n"
        "try:\n    mode = mode\nexcept NameError:\n    mode = 'default'\n"
        "if total > 5:\n    big = True",
        data,
    )
    assert data == {"rows": [{"n": 1}, {"n": 2}], "total": 30, "mode": "default", "big": True}


def test_a_failing_script_changes_no_data(env):
    data = {"a": 1}
    with pytest.raises(ZeroDivisionError):
        env.execute("b = 2\na = 1 / 0", data)
    assert data == {"a": 1}


def test_deleted_variables_are_removed(env):
    data = {"a": 1, "tmp": 2}
    env.execute("del tmp", data)
    assert data == {"a": 1}


@pytest.mark.parametrize(
    "source",
    [
        "import os",
        "from os import system",
        "().__class__.__base__.__subclasses__()",
        "x = (lambda: 0).__globals__",
        "__import__('os')",
        "type(1).__mro__",
    ],
)
def test_escapes_are_refused_at_compile_time(source):
    with pytest.raises(SandboxError):
        compile_sandboxed(source, "exec")


@pytest.mark.parametrize(
    ("source", "word"),
    [
        ("open('/etc/passwd')", "open"),
        ("eval('1+1')", "eval"),
        ("exec('x=1')", "exec"),
        ("getattr(1, 'real')", "getattr"),
        ("globals()", "globals"),
    ],
)
def test_dangerous_builtins_fail_with_a_clear_message(env, source, word):
    with pytest.raises(SandboxError, match=f"(?i){word}"):
        env.execute(source, {})


def test_string_format_cannot_reach_attributes(env):
    with pytest.raises(Exception):  # noqa: B017 - RestrictedPython raises different types per version
        env.execute("x = '{0.__class__}'.format(1)", {})


@pytest.mark.parametrize(
    "source", ["while True:\n    pass", "x = [1 for i in range(10**4) for j in range(10**4)]"]
)
def test_time_limit_stops_endless_scripts(env, source):
    started = time.monotonic()
    with pytest.raises(ScriptTimeout, match=r"0\.3 秒"):
        env.execute(source, {})
    assert time.monotonic() - started < 3


def test_time_limit_applies_to_expressions(env):
    with pytest.raises(ScriptTimeout):
        env.evaluate("[i for i in range(10**4) for j in range(10**4)]", {})


def test_syntax_errors_name_the_line():
    with pytest.raises(SandboxError, match="第 2 行"):
        compile_sandboxed("a = 1\nb = (", "exec")


def test_tracing_is_restored_after_a_script(env):
    import sys

    before = sys.gettrace()
    env.execute("a = 1", {})
    assert sys.gettrace() is before


# The time limit cannot be caught or refunded (issue 9, finding 1) -------------------------


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nwhile True:\n    pass",
        "while True:\n    try:\n        while True:\n            pass\n    except Exception:\n        pass",
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
        "while True:\n    try:\n        while True:\n            pass\n    except (ValueError, Exception):\n"
        "        pass",
        "def spin():\n    while True:\n        pass\nwhile True:\n    try:\n        spin()\n"
        "    except Exception as error:\n        last = str(error)",
    ],
)
def test_catching_the_time_limit_does_not_keep_a_script_running(env, source):
    data: dict = {}
    with pytest.raises(ScriptTimeout, match=r"0\.3 秒"):
        env.execute(source, data)
    assert data == {}


def test_except_clauses_name_nothing_once_time_is_up():
    """Every `except` of diagram code asks `_catch_` what to catch: the named built-in errors
    while time remains, nothing after, so no handler of the script can run past the limit."""
    catch = sandbox._GUARDS["_catch_"]
    seen = []

    def probe() -> int:
        seen.append(catch("ValueError", "KeyError"))
        time.sleep(0.35)
        seen.append(catch("ValueError", "KeyError"))
        return 0

    env = SandboxedEnvironment({"probe": probe}, time_limit=0.3)
    with pytest.raises(ScriptTimeout):
        env.execute("x = probe()", {})
    assert seen == [(ValueError, KeyError), ()]
    data: dict = {}
    env.execute("try:\n    x = 1 / 0\nexcept ZeroDivisionError:\n    caught = True", data)
    assert data == {"caught": True}


@pytest.mark.parametrize(
    ("source", "word"),
    [
        ("try:\n    x = 1\nexcept BaseException:\n    pass", "BaseException"),
        ("try:\n    x = 1\nexcept SystemExit:\n    pass", "SystemExit"),
        ("try:\n    x = 1\nexcept (ValueError, KeyboardInterrupt):\n    pass", "KeyboardInterrupt"),
        ("try:\n    x = 1\nexcept pick():\n    pass", "表达式"),
        ("try:\n    x = 1\nfinally:\n    y = 2", "finally"),
        ("with thing:\n    x = 1", "with"),
    ],
)
def test_constructs_that_could_run_after_the_limit_are_refused_at_compile_time(source, word):
    with pytest.raises(SandboxError, match=word) as refused:
        compile_sandboxed(source, "exec")
    assert "第 " in str(refused.value)


def test_time_spent_in_platform_helpers_counts_against_the_script():
    """Issue 9, finding 2: no refund for helper time."""

    def slow_lookup() -> int:
        time.sleep(0.2)
        return 1

    env = SandboxedEnvironment({"slow_lookup": slow_lookup}, time_limit=0.3)
    data: dict = {}
    with pytest.raises(ScriptTimeout):
        env.execute("a = slow_lookup() + slow_lookup()", data)
    assert data == {}


def test_waiting_on_the_calendar_is_given_back_but_never_more_than_the_limit():
    """Reading the working-day calendar waits on the database, not on the diagram: that time is
    given back, up to the limit once more in all, so calling it in a loop buys nothing."""

    def read_calendar(seconds: float) -> int:
        with script_limits.platform_read():
            time.sleep(seconds)
        return 1

    env = SandboxedEnvironment({"read_calendar": read_calendar}, time_limit=0.3)
    data: dict = {}
    env.execute("a = read_calendar(0.4)", data)
    assert data == {"a": 1}
    with pytest.raises(ScriptTimeout):
        env.execute("for i in range(10):\n    b = read_calendar(0.2)", data)
    assert "b" not in data


def test_many_long_working_day_counts_are_stopped_by_the_limit():
    """Issue 9, finding 2: 400 calls of add_workdays(…, 3650) ran 9 s against a 1 s limit."""
    calendar = WorkCalendar()

    def workdays(start: date, n: int) -> tuple[date, bool]:
        deadline = add_workdays(calendar, start, n)
        return deadline.end_date, deadline.provisional

    env = SandboxedEnvironment(calendar_helpers(workdays, lambda: datetime.now(UTC)), time_limit=0.3)
    data: dict = {}
    with pytest.raises(ScriptTimeout):
        env.execute("for i in range(400):\n    d = add_workdays('2026-01-05', 3650)", data)
    assert data == {}
    env.execute("d = add_workdays('2026-01-05', 5)", data)
    assert data["d"].startswith("2026-01-12")


def test_pure_domain_code_is_stopped_midway(monkeypatch):
    """A helper from service/domain is traced line by line, so one long call cannot outlast the
    limit (the test marks this file as domain code)."""
    monkeypatch.setattr(script_limits, "_INTERRUPTIBLE", (__file__,))
    finished = []

    def long_domain_computation() -> int:
        total = 0
        for i in range(10**8):
            total += i
        finished.append(True)
        return total

    env = SandboxedEnvironment({"compute": long_domain_computation}, time_limit=0.3)
    with pytest.raises(ScriptTimeout):
        env.execute("x = compute()", {})
    assert finished == []


def test_helpers_refuse_self_referencing_arguments():
    env = SandboxedEnvironment({"count": len}, time_limit=0.3)
    with pytest.raises(LimitExceeded, match="循环引用"):
        env.execute("rows = [1]\nrows.append(rows)\nn = count(rows)", {})


# Sizes are bounded and configurable (finding 3) ------------------------------------------


@pytest.fixture()
def roomy():
    """Default size limits and time to spare: a size refusal must never depend on the clock."""
    return SandboxedEnvironment(time_limit=10)


@pytest.mark.parametrize(
    ("source", "setting"),
    [
        ("x = sum(range(10**12))", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = [0] * 10**9", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = 'a' * 10**9", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = 'ab'\nfor i in range(40):\n    x = x + x", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = 'ab'\nfor i in range(40):\n    x += x", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = [0] * 1000\nfor i in range(40):\n    x.extend(x)", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = [0] * 1000\nfor i in range(40):\n    x = [*x, *x]", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = [0] * 1000\nfor i in range(40):\n    x[:0] = x", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = sum([[0] * 5000] * 5000, [])", "XUANPIN_SCRIPT_MAX_ITEMS"),
        ("x = 'a'.ljust(10**9)", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = f'{1:>1000000000}'", "XUANPIN_SCRIPT_MAX_STRING"),
        ("n = 10**9\nx = f'{1:>{n}}'", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = '%1000000000d' % 1", "XUANPIN_SCRIPT_MAX_STRING"),
        ("s = 'x' * 10000\nx = '-'.join([s] * 10000)", "XUANPIN_SCRIPT_MAX_STRING"),
        ("s = 'x' * 10000\nx = str.join('-', [s] * 10000)", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = ('a' * 10000).replace('a', 'b' * 10000)", "XUANPIN_SCRIPT_MAX_STRING"),
        ("x = (1).to_bytes(10**9, 'big')", "XUANPIN_SCRIPT_MAX_STRING"),
        ("a = [0] * 10\nfor i in range(40):\n    a = [a] * 10\nx = str(a)", "XUANPIN_SCRIPT_MAX_STRING"),
        ("a = [0] * 10\nfor i in range(40):\n    a = [a] * 10\nx = f'{a}'", "XUANPIN_SCRIPT_MAX_STRING"),
    ],
)
def test_values_too_large_to_build_are_refused_naming_the_limit(roomy, source, setting):
    data: dict = {}
    with pytest.raises(LimitExceeded, match=setting):
        roomy.execute(source, data)
    assert data == {}


@pytest.mark.parametrize("source", ["x = 10 ** 10 ** 8", "x = pow(10, 10**8)", "x = 1 << 10**10"])
def test_huge_integers_are_refused(roomy, source):
    with pytest.raises(LimitExceeded, match="整数过大"):
        roomy.execute(source, {})


def test_size_limits_are_configurable():
    env = SandboxedEnvironment(limits=ScriptLimits(max_items=5, max_string=8))
    data: dict = {}
    env.execute("a = list(range(5))\nb = 'x' * 8", data)
    assert data == {"a": [0, 1, 2, 3, 4], "b": "xxxxxxxx"}
    with pytest.raises(LimitExceeded, match="上限 5"):
        env.execute("c = list(range(6))", data)
    with pytest.raises(LimitExceeded, match="上限 8"):
        env.execute("c = 'x' * 9", data)
    assert "c" not in data


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("a = [0] * 10\nfor i in range(40):\n    a = [a] * 10", "重复引用"),
        ("rows.append(rows)", "循环引用"),
        ("g = (i for i in rows)", "generator"),
        ("r = range(3)", "range"),
        ("k = {'a': 1}.keys()", "dict_keys"),
        ("x = [1]\nfor i in range(200):\n    x = [x]", "嵌套"),
    ],
)
def test_data_the_service_could_not_store_is_refused(roomy, source, why):
    data: dict = {"rows": [1, 2]}
    with pytest.raises(LimitExceeded, match=why):
        roomy.execute(source, data)
    assert set(data) == {"rows"}


def test_bounded_builtins_still_behave_like_python(env):
    data: dict = {"names": ["王芳", "李明"], "scores": [88.5, 92.0, 79.5]}
    env.execute(
        "ok = isinstance('a', str) and isinstance('a', (int, str)) and not isinstance(1, str)\n"
        "text = str(12) + str([1, 2]) + repr('x')\n"
        "joined = '、'.join(names) + str.join('', ['a', 'b'])\n"
        "line = f'{scores[0]:.1f}|{names!r}|{len(names):>3}'\n"
        "old = '%s-%05d' % ('a', 42)\n"
        "order = sorted(scores, key=lambda s: -s)\n"
        "best = max(scores, key=lambda s: s) + min(scores)\n"
        "total = sum(scores) + sum([[1], [2]], [])[1]\n"
        "halves = list(map(lambda s: s / 2, scores)) + list(filter(None, [0, 1]))\n"
        "big = 2 ** 64 + pow(2, 10, 1000) + (3 << 4)\n"
        "padded = 'a'.ljust(3) + 'b'.zfill(2) + 'c\\td'.expandtabs(2) + 'aa'.replace('a', 'bb')\n"
        "names.sort(key=len)\n"
        "grid = [[0] * 3] * 2",
        data,
    )
    assert data["ok"] is True
    assert data["text"] == "12[1, 2]'x'"
    assert data["joined"] == "王芳、李明ab"
    assert data["line"] == "88.5|['王芳', '李明']|  2"
    assert data["old"] == "a-00042"
    assert data["order"] == [92.0, 88.5, 79.5]
    assert data["best"] == 92.0 + 79.5
    assert data["total"] == 260.0 + 2
    assert data["halves"] == [44.25, 46.0, 39.75, 1]
    assert data["big"] == 2**64 + 24 + 48
    assert data["padded"] == "a  0bc dbbbb"
    assert data["grid"] == [[0, 0, 0], [0, 0, 0]]


def test_str_format_is_refused_with_a_hint(env):
    with pytest.raises(SandboxError, match="f-string"):
        env.execute("x = str.format('{}', 1)", {})


# SystemExit and friends are contained (finding 4) ----------------------------------------


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("raise SystemExit", "SystemExit"),
        ("raise SystemExit(0)", "SystemExit"),
        ("raise KeyboardInterrupt()", "KeyboardInterrupt"),
        ("raise GeneratorExit", "GeneratorExit"),
        ("raise BaseException('stop')", "BaseException"),
        ("def stop():\n    raise SystemExit(3)\nstop()", "SystemExit"),
        ("raise ValueError.mro()[2]", "BaseException"),  # the real class, reached through mro()
    ],
)
def test_exiting_the_interpreter_is_an_ordinary_script_failure(env, source, name):
    with pytest.raises(SandboxError, match=name) as failed:
        env.execute(source, {})
    assert isinstance(failed.value, Exception)  # caught by SpiffWorkflow like any script error


def test_a_single_huge_c_call_is_bounded(env):
    """`sum(range(10**12))` froze a worker: range is capped, and work a C loop applies per item
    (a map function, a sort key) checks the clock."""
    with pytest.raises(LimitExceeded, match="range"):
        env.execute("x = sum(range(10**12))", {})
    with pytest.raises(ScriptTimeout):
        env.execute("x = sum(map(sum, [range(10000)] * 10000))", {})
    with pytest.raises(ScriptTimeout):
        env.execute("rows = ['x' * 100000] * 10000\nx = sorted(rows, key=str.upper)", {})
    with pytest.raises(ScriptTimeout):
        env.execute("rows = [list(range(10000))] * 10000\nx = max(rows, key=sum)", {})


def test_settings_read_the_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("XUANPIN_SCRIPT_MAX_ITEMS", "50")
    monkeypatch.setenv("XUANPIN_SCRIPT_MAX_STRING", "60")
    monkeypatch.setenv("XUANPIN_MAX_INSTANCES_PER_ACTIVITY", "7")
    settings = Settings.from_env()
    assert (settings.script_max_items, settings.script_max_string) == (50, 60)
    assert settings.max_instances_per_activity == 7
    assert Settings().max_instances_per_activity == 200


# Multi-instance activities are bounded (finding 3), at the engine level ----------------------


def _multi_instance(pid: str, characteristics: str, before: str = "") -> bytes:
    steps = [bpmn.script(before, "准备名单")] if before else []
    task = (
        '<bpmn:userTask id="{id}" name="评分" camunda:candidateGroups="评委">'
        f"{characteristics}</bpmn:userTask>"
    )
    return bpmn.linear(pid, *steps, task)


def _spec(document: bytes) -> str:
    [process] = parse_definitions([SourceFile("mi.bpmn", document)])
    return process.spec


COLLECTION = (
    '<bpmn:multiInstanceLoopCharacteristics camunda:collection="pingwei_list" '
    'camunda:elementVariable="pingwei" />'
)


def test_a_collection_larger_than_the_limit_creates_no_instances():
    spec = _spec(_multi_instance("mi_c", COLLECTION, before="pingwei_list = list(range(n))"))
    engine = ProcessEngine(limits=ScriptLimits(max_instances=3))
    with pytest.raises(
        ExecutionError, match=r"要创建 4 个实例，超过上限 3（XUANPIN_MAX_INSTANCES_PER_ACTIVITY）"
    ):
        engine.start(1, spec, {"n": 4})
    run = engine.start(1, spec, {"n": 3})
    assert len(run.ready_user_tasks()) == 3


def test_a_cardinality_larger_than_the_limit_is_refused():
    characteristics = (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>n</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    spec = _spec(_multi_instance("mi_n", characteristics))
    engine = ProcessEngine(limits=ScriptLimits(max_instances=3))
    with pytest.raises(ExecutionError, match="要创建 10000 个实例，超过上限 3") as refused:
        engine.start(1, spec, {"n": 10**4})
    assert refused.value.element_id == "S1"
    assert len(engine.start(1, spec, {"n": 2}).ready_user_tasks()) == 2


def test_a_cardinality_that_is_a_collection_is_refused_and_the_spec_stays_intact():
    """SpiffWorkflow's Camunda dialect would take a list here as the input collection and rewrite
    the shared (cached) spec for every later instance; we refuse and leave the spec alone."""
    characteristics = (
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>n</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics>"
    )
    spec = _spec(_multi_instance("mi_l", characteristics))
    engine = ProcessEngine()
    with pytest.raises(ExecutionError, match="loopCardinality）应为整数，实际是集合") as refused:
        engine.start(1, spec, {"n": ["a", "b"]})
    assert "camunda:collection" in refused.value.message
    assert len(engine.start(1, spec, {"n": 2}).ready_user_tasks()) == 2
