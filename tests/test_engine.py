"""The engine adapter on its own: parsing, assignment attributes, serialization, stepping."""

from __future__ import annotations

import json

import pytest

from service.engine.errors import DefinitionError, ExecutionError, TaskNotReady
from service.engine.parser import SourceFile, normalise_timer_expression, parse_definitions
from service.engine.runtime import ProcessEngine
from tests import bpmn
from tests.conftest import FIXTURES, PROCESSES


def _parsed(path):
    [process] = parse_definitions([SourceFile(path.name, path.read_bytes())])
    return process


def test_parser_keeps_camunda_assignment_attributes():
    process = _parsed(FIXTURES / "assignment.bpmn")
    engine = ProcessEngine()
    run = engine.start(1, process.spec, {"fuheren": "renshi", "beiyong": "renshi2"})
    [register] = run.ready_user_tasks()
    assert (register.title, register.lane, register.form_key) == ("登记", "工作组", "ceshi_dengji")
    assert register.documentation == "登记复核人和备用办理人。"
    run.complete_user_task(register.id, {})
    views = {v.title: v for v in run.ready_user_tasks()}
    assert views["评委打分"].candidate_groups == ["评委"]
    assert views["指定人复核"].assignee == "renshi"
    assert views["点名办理"].candidate_users == ["li", "renshi2"]


def test_unresolved_assignee_variable_leaves_the_task_unassigned():
    process = _parsed(FIXTURES / "assignment.bpmn")
    run = ProcessEngine().start(1, process.spec, {})
    run.complete_user_task(run.ready_user_tasks()[0].id, {})
    views = {v.title: v for v in run.ready_user_tasks()}
    assert views["指定人复核"].assignee is None
    assert views["点名办理"].candidate_users == ["li"]


def _two_steps():
    """Two user tasks in a row (the built-in diagrams need the platform's script helpers)."""
    [process] = parse_definitions(
        [SourceFile("liangbu.bpmn", bpmn.linear("liangbu", bpmn.user("填报"), bpmn.user("审核")))]
    )
    return process


def test_instance_state_excludes_the_spec_and_round_trips():
    process = _two_steps()
    engine = ProcessEngine()
    run = engine.start(7, process.spec, {"a": 1})
    state = run.dump()
    assert "task_specs" not in json.loads(state)
    again = engine.load(7, process.spec, state)
    assert [t.id for t in again.ready_user_tasks()] == [t.id for t in run.ready_user_tasks()]


def test_running_a_task_that_is_not_ready_is_refused():
    process = _two_steps()
    run = ProcessEngine().start(1, process.spec, {})
    task = run.ready_user_tasks()[0]
    run.complete_user_task(task.id, {"xingming": "张三"})
    with pytest.raises(TaskNotReady):
        run.complete_user_task(task.id, {})
    with pytest.raises(TaskNotReady):
        run.complete_user_task("not-a-uuid", {})


def test_script_error_names_the_step():
    [process] = parse_definitions(
        [SourceFile("x.bpmn", bpmn.linear("x", bpmn.script("a = 1 / 0", name="除零")))]
    )
    with pytest.raises(ExecutionError) as caught:
        ProcessEngine().start(1, process.spec, {})
    assert caught.value.element_id == "S1" and "除零" in caught.value.message


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("PT1H", "'PT1H'"),
        ("P3D", "'P3D'"),
        ("R3/PT10M", "'R3/PT10M'"),
        ("2026-12-01T09:00:00+08:00", "'2026-12-01T09:00:00+08:00'"),
        ("'PT1H'", "'PT1H'"),
        ("add_workdays(published_on, 5)", "add_workdays(published_on, 5)"),
    ],
)
def test_bare_iso_timer_literals_become_python_strings(written, expected):
    assert normalise_timer_expression(written) == expected


def test_duplicate_process_ids_across_files_are_refused():
    document = bpmn.linear("same", bpmn.user())
    with pytest.raises(DefinitionError, match="same"):
        parse_definitions([SourceFile("a.bpmn", document), SourceFile("b.bpmn", document)])


def test_a_loop_keeps_running_past_the_iterator_depth_limit():
    """SpiffWorkflow's task iterators stop at depth 1000 (~330 loop rounds) unless raised."""
    process = _parsed(FIXTURES / "loop.bpmn")
    run = ProcessEngine().start(1, process.spec, {"round_no": 0, "target": 400})
    for _round in range(400):
        [task] = run.ready_user_tasks()
        run.complete_user_task(task.id, {})
    [task] = run.ready_user_tasks()
    run.complete_user_task(task.id, {})
    assert run.completed and run.data["round_no"] == 400


def test_a_decision_table_change_versions_only_the_processes_that_use_it():
    from service.cli import collect_files

    files = collect_files((str(PROCESSES),))
    before = {p.key: p.source_hashes for p in parse_definitions(files)}
    changed = [
        SourceFile(f.filename, f.content + "<!-- 修订 -->".encode())
        if f.filename == "kaifaqu_zige.dmn"
        else f
        for f in files
    ]
    after = {p.key: p.source_hashes for p in parse_definitions(changed)}
    moved = {key for key in before if before[key] != after[key]}
    assert moved == {"kaifaqu_jingpin"}


def test_dmn_cells_starting_with_an_operator_are_probed_as_syntax_errors():
    from service.engine.sandbox import SandboxedScriptEngine

    with pytest.raises(SyntaxError):
        SandboxedScriptEngine().validate("< 2")
    SandboxedScriptEngine().validate("v < 2")
