"""The script sandbox: RestrictedPython plus a time limit, for every script and expression."""

from __future__ import annotations

import time

import pytest

from service.engine.sandbox import SandboxedEnvironment, SandboxError, ScriptTimeout, compile_sandboxed


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


@pytest.mark.parametrize("source", ["while True:\n    pass", "x = [1 for i in range(10**9)]"])
def test_time_limit_stops_endless_scripts(env, source):
    started = time.monotonic()
    with pytest.raises(ScriptTimeout, match=r"0\.3 秒"):
        env.execute(source, {})
    assert time.monotonic() - started < 3


def test_time_limit_applies_to_expressions(env):
    with pytest.raises(ScriptTimeout):
        env.evaluate("[i for i in range(10**9)]", {})


def test_syntax_errors_name_the_line():
    with pytest.raises(SandboxError, match="第 2 行"):
        compile_sandboxed("a = 1\nb = (", "exec")


def test_tracing_is_restored_after_a_script(env):
    import sys

    before = sys.gettrace()
    env.execute("a = 1", {})
    assert sys.gettrace() is before


def test_time_spent_in_platform_helpers_is_not_charged_to_the_script():
    def slow_lookup() -> int:
        time.sleep(0.4)
        return 1

    env = SandboxedEnvironment({"slow_lookup": slow_lookup}, time_limit=0.3)
    data: dict = {}
    env.execute("a = slow_lookup() + slow_lookup()", data)
    assert data == {"a": 2}
