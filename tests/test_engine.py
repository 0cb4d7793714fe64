"""The engine adapter on its own: parsing, assignment attributes, serialization, stepping."""

from __future__ import annotations

import json

import pytest

from service.engine.errors import DefinitionError, ExecutionError, TaskNotReady
from service.engine.multi_instance import repair
from service.engine.parser import SourceFile, normalise_timer_expression, parse_definitions
from service.engine.runtime import ProcessEngine
from service.engine.serializer import dump_specs
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


# --- Multi-instance collections merge the same way on every worker (issue 8 jam) ---------------


def _judges_diagram(parallel: bool = True) -> bytes:
    return bpmn.linear("mi_judges", bpmn.multi_instance(parallel=parallel), bpmn.user("汇总"))


def _unsettled(spec_json: str) -> str:
    """The spec as versions deployed before the fix were stored: Camunda multi-instance input
    references left unset."""
    data = json.loads(spec_json)
    for process in (data["spec"], *data["subprocess_specs"].values()):
        for task_spec in process["task_specs"].values():
            if "data_input" in task_spec:
                task_spec["data_input"] = task_spec["input_item"] = None
    return json.dumps(data)


def _sheet(judge: str) -> dict:
    return {"pingwei": {"judge": judge, "score": 80}}


@pytest.mark.parametrize("parallel", [True, False], ids=["parallel", "sequential"])
@pytest.mark.parametrize("stored", ["settled", "unsettled"])
def test_multi_instance_started_on_one_worker_completes_on_another(parallel, stored):
    [process] = parse_definitions([SourceFile("mi.bpmn", _judges_diagram(parallel))])
    spec = process.spec if stored == "settled" else _unsettled(process.spec)
    judges = ["pingwei1", "pingwei2", "pingwei3"]
    first_worker = ProcessEngine()
    state = first_worker.start(1, spec, {"pingwei_list": judges}).dump()
    for judge in judges:
        # Each completion on a freshly started worker, as after a restart or on another process.
        run = ProcessEngine().load(1, spec, state)
        [task] = [t for t in run.ready_user_tasks() if t.assignee == judge]
        run.complete_user_task(task.id, _sheet(judge))
        state = run.dump()
    run = ProcessEngine().load(1, spec, state)
    assert [t.title for t in run.ready_user_tasks()] == ["汇总"]
    assert run.data["pingwei_list"] == [{"judge": j, "score": 80} for j in judges]


def test_one_worker_reaching_a_multi_instance_leaves_the_cached_spec_untouched():
    [process] = parse_definitions([SourceFile("mi.bpmn", _judges_diagram())])
    engine = ProcessEngine()
    before = process.spec
    engine.start(1, before, {"pingwei_list": ["pingwei1"]})
    spec, subprocess_specs = engine._specs_for(1, before)
    assert json.loads(dump_specs(spec, subprocess_specs))["spec"] == json.loads(before)["spec"]


def test_a_loop_cardinality_that_is_a_collection_is_refused_as_a_diagram_fault():
    task = (
        '<bpmn:userTask id="{id}" name="逐一办理"><bpmn:multiInstanceLoopCharacteristics>'
        "<bpmn:loopCardinality>renyuan</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )
    [process] = parse_definitions([SourceFile("card.bpmn", bpmn.linear("mi_card", task))])
    with pytest.raises(ExecutionError) as raised:
        ProcessEngine().start(1, process.spec, {"renyuan": ["a", "b"]})
    assert "camunda:collection" in raised.value.message
    run = ProcessEngine().start(1, process.spec, {"renyuan": 2})
    assert len(run.ready_user_tasks()) == 2


def test_repair_puts_appended_sheets_back_at_their_judges_index():
    [process] = parse_definitions([SourceFile("mi.bpmn", _judges_diagram())])
    spec = _unsettled(process.spec)
    engine = ProcessEngine()
    run = engine.start(1, spec, {"pingwei_list": ["pingwei1", "pingwei2", "pingwei3"]})
    # Jam it the way SpiffWorkflow 3.2 did on an unsettled worker: results appended.
    children = {t.assignee: t for t in run.ready_user_tasks()}
    for judge in ("pingwei1", "pingwei2"):
        run.complete_user_task(children[judge].id, _sheet(judge))
    workflow = run.workflow
    [parent] = [t for t in workflow.get_tasks() if t.task_spec.name.endswith("S1")]
    parent.data["pingwei_list"] = [
        "pingwei1",
        "pingwei2",
        "pingwei3",
        _sheet("pingwei1")["pingwei"],
        _sheet("pingwei2")["pingwei"],
    ]
    [fixed] = repair(workflow)
    assert (fixed.variable, fixed.removed, fixed.placed) == ("pingwei_list", 2, 2)
    assert parent.data["pingwei_list"] == [
        {"judge": "pingwei1", "score": 80},
        {"judge": "pingwei2", "score": 80},
        "pingwei3",
    ]
    assert repair(workflow) == []
    run.complete_user_task(children["pingwei3"].id, _sheet("pingwei3"))
    assert run.data["pingwei_list"] == [
        {"judge": j, "score": 80} for j in ("pingwei1", "pingwei2", "pingwei3")
    ]


def test_scripts_in_an_embedded_subprocess_read_their_process_settings():
    """An embedded subprocess has no properties of its own; its scripts read the settings of the
    process it sits in (`shezhi`), as its other steps do."""
    embedded = (
        '<bpmn:subProcess id="{id}" name="内嵌子流程"><bpmn:startEvent id="SubStart" />'
        '<bpmn:scriptTask id="SubScript" name="读取设置" scriptFormat="python">'
        '<bpmn:script>bili = shezhi["bili"]</bpmn:script></bpmn:scriptTask>'
        '<bpmn:endEvent id="SubEnd" />'
        '<bpmn:sequenceFlow id="SF1" sourceRef="SubStart" targetRef="SubScript" />'
        '<bpmn:sequenceFlow id="SF2" sourceRef="SubScript" targetRef="SubEnd" /></bpmn:subProcess>'
    )
    document = bpmn.linear("embedded_settings", embedded, properties={"xuanpin:setting.bili": "2"})
    [process] = parse_definitions([SourceFile("embedded.bpmn", document)])
    run = ProcessEngine().start(1, process.spec, {})
    assert run.completed and run.data["bili"] == 2
