"""Deploying BPMN: validation with located errors, immutable versions, no-op redeploys."""

from __future__ import annotations

from tests import bpmn
from tests.conftest import FIXTURES, assert_problem, beian_files


def test_deploy_creates_version_1_and_redeploy_is_a_noop(api):
    first = api.deploy(*beian_files())
    assert first.status_code == 201, first.json
    assert first.json == [{"key": "fenghua_beian", "version": 1, "name": "奉化国企人员备案", "created": True}]
    again = api.deploy(*beian_files())
    assert again.status_code == 201
    assert again.json[0]["version"] == 1 and again.json[0]["created"] is False
    versions = api.get("/api/v1/definitions/fenghua_beian").json
    assert [v["version"] for v in versions["versions"]] == [1]


def test_changed_content_is_a_new_version_and_running_instances_stay_on_theirs(api):
    files = beian_files()
    assert api.deploy(*files).status_code == 201
    old = api.start("fenghua_beian").json
    bpmn_file = files[0]
    changed = bpmn_file.read_bytes().replace("填报备案材料".encode(), "填报人员备案材料".encode())
    second = api.deploy((bpmn_file.name, changed), *files[1:])
    assert second.json[0]["version"] == 2 and second.json[0]["created"] is True
    new = api.start("fenghua_beian").json
    assert (old["version"], new["version"]) == (1, 2)
    titles = {t["instance_id"]: t["title"] for t in api.inbox("renshi")}
    assert titles == {old["id"]: "填报备案材料", new["id"]: "填报人员备案材料"}
    listed = api.get("/api/v1/definitions").json
    assert [(d["key"], d["version"]) for d in listed] == [("fenghua_beian", 2)]
    assert api.get("/api/v1/definitions/fenghua_beian/xml", query_string={"version": 1}).data.count(
        "填报备案材料".encode()
    )


def test_xml_of_latest_version_is_served_as_uploaded(api):
    files = beian_files()
    api.deploy(*files)
    response = api.get("/api/v1/definitions/fenghua_beian/xml")
    assert response.status_code == 200
    assert response.content_type.startswith("application/xml")
    assert response.data == files[0].read_bytes()


def test_only_admins_deploy(api):
    assert_problem(api.deploy(*beian_files(), user="renshi"), 403)


def test_unknown_definition_is_404(api):
    assert_problem(api.get("/api/v1/definitions/nope"), 404)
    assert_problem(api.get("/api/v1/definitions/nope/xml"), 404)
    assert_problem(api.start("nope"), 404)


def test_malformed_xml_names_the_file_and_line(api):
    broken = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">\n<oops>'
    body = assert_problem(api.deploy(("broken.bpmn", broken)), 422)
    assert body["file"] == "broken.bpmn"
    assert body["line"] >= 2
    assert "XML" in body["detail"]


def test_external_entities_are_refused(api):
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
    )
    body = assert_problem(api.deploy(("xxe.bpmn", xxe)), 422)
    assert "DOCTYPE" in body["detail"]
    assert "root:" not in str(body)


def test_semantic_error_names_the_element_and_line(api):
    document = bpmn.linear("bad_flow", bpmn.user("办理", 'camunda:candidateGroups="工作组"')).replace(
        b'targetRef="EndEvent_1"', b'targetRef="Nowhere"'
    )
    body = assert_problem(api.deploy(("bad.bpmn", document)), 422)
    assert body["element_id"] and body["line"], body
    assert "bad.bpmn" in body["detail"]


def test_hostile_script_is_refused_at_deployment_with_its_element(api):
    for code in ("import os\nos.system('id')", "x = ().__class__.__base__.__subclasses__()"):
        document = bpmn.linear("evil", bpmn.script(code, name="恶意脚本"))
        body = assert_problem(api.deploy(("evil.bpmn", document)), 422)
        assert body["element_id"] == "S1"
        assert "恶意脚本" in body["detail"]


def test_hostile_gateway_condition_is_refused(api):
    document = bpmn.linear("evil_cond", bpmn.user()).replace(
        b'<bpmn:sequenceFlow id="Fend" sourceRef="S1" targetRef="EndEvent_1" />',
        b'<bpmn:sequenceFlow id="Fend" sourceRef="S1" targetRef="EndEvent_1">'
        b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        b"x.__globals__</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    # A condition on a flow out of a task is only evaluated by gateways; put it behind one.
    document = document.replace(
        b'<bpmn:userTask id="S1"', b'<bpmn:exclusiveGateway id="G" />\n<bpmn:userTask id="S1"'
    )
    document = document.replace(
        b'sourceRef="S1" targetRef="EndEvent_1"', b'sourceRef="G" targetRef="EndEvent_1"'
    )
    document = document.replace(
        b'<bpmn:sequenceFlow id="Fend"',
        b'<bpmn:sequenceFlow id="FG" sourceRef="S1" targetRef="G" />\n<bpmn:sequenceFlow id="Fend"',
    )
    body = assert_problem(api.deploy(("evil.bpmn", document)), 422)
    assert body["element_id"] == "G"


def test_missing_form_is_refused_with_its_file_name(api):
    body = assert_problem(api.deploy(beian_files()[0]), 422)
    assert "fh_beian_tianbao.schema.json" in body["detail"]


def test_forms_deployed_earlier_are_reused(api):
    files = beian_files()
    api.deploy(*files)
    changed = files[0].read_bytes().replace("集团审核".encode(), "区属集团审核".encode())
    response = api.deploy((files[0].name, changed))
    assert response.status_code == 201 and response.json[0]["version"] == 2


def test_invalid_form_schema_is_refused(api):
    bad = ("fh_beian_tianbao.schema.json", b'{"type": "object", "properties": {"a": {"type": "nonsense"}}}')
    body = assert_problem(api.deploy(beian_files()[0], bad), 422)
    assert "fh_beian_tianbao.schema.json" in body["detail"]
    not_json = ("fh_beian_tianbao.schema.json", b"{not json")
    assert_problem(api.deploy(beian_files()[0], not_json), 422)


def test_unsupported_files_and_empty_upload(api):
    body = assert_problem(api.deploy(("notes.txt", b"hello")), 422)
    assert "notes.txt" in body["detail"]
    assert assert_problem(api.deploy(), 422)["errors"] == {"files": ["未收到文件"]}


def test_no_executable_process(api):
    document = bpmn.linear("lazy", bpmn.user()).replace(b'isExecutable="true"', b'isExecutable="false"')
    assert "isExecutable" in assert_problem(api.deploy(("lazy.bpmn", document)), 422)["detail"]


def test_assignment_fixture_deploys_with_its_form(api):
    response = api.deploy(FIXTURES / "assignment.bpmn", FIXTURES / "ceshi_dengji.schema.json")
    assert response.status_code == 201
    assert response.json[0]["key"] == "ceshi_fenpai"
    detail = api.get("/api/v1/definitions/ceshi_fenpai").json
    assert detail["versions"][0]["forms"] == ["ceshi_dengji"]


def test_engine_reserved_ids_are_refused(api):
    document = bpmn.linear("reserved", bpmn.user()).replace(b'id="StartEvent_1"', b'id="Start"')
    document = document.replace(b'sourceRef="StartEvent_1"', b'sourceRef="Start"')
    body = assert_problem(api.deploy(("reserved.bpmn", document)), 422)
    assert body["element_id"] == "Start" and "保留" in body["detail"]


def test_a_loop_without_a_gateway_is_refused(api):
    """SpiffWorkflow would recurse forever predicting such a loop; refuse it at deployment."""
    document = bpmn.linear(
        "looping", bpmn.user("登记", 'camunda:candidateGroups="工作组"'), bpmn.script("n = 1", "记录")
    )
    document = document.replace(b'sourceRef="S2" targetRef="EndEvent_1"', b'sourceRef="S2" targetRef="S1"')
    body = assert_problem(api.deploy(("looping.bpmn", document)), 422)
    assert "网关" in body["detail"] and body["element_id"] in {"S1", "S2"}


def test_versions_say_who_deployed_them_and_how_many_cases_still_run(api):
    from tests.conftest import beian_files

    assert api.deploy(*beian_files()).status_code == 201
    api.start("fenghua_beian", user="renshi")
    body = api.get("/api/v1/definitions/fenghua_beian").json
    (version,) = body["versions"]
    assert (version["version"], version["deployed_by"], version["running"]) == (1, "admin", 1)
    assert "fh_beian_tianbao" in version["forms"]


def test_the_diff_between_two_versions_names_what_a_designer_changed(api):
    """Issue 15: elements added, removed and changed, with what changed, and form fields."""
    import json

    from tests.conftest import FORMS, PROCESSES

    bpmn = (PROCESSES / "fenghua_beian.bpmn").read_text(encoding="utf-8")
    forms = {p.name: p.read_text(encoding="utf-8") for p in FORMS.glob("fh_beian_*.schema.json")}
    assert (
        api.deploy(
            ("fenghua_beian.bpmn", bpmn.encode()), *[(n, c.encode()) for n, c in forms.items()]
        ).status_code
        == 201
    )
    changed = bpmn.replace('name="集团审核"', 'name="区属集团审核"', 1)
    assert changed != bpmn
    tianbao = json.loads(forms["fh_beian_tianbao.schema.json"])
    tianbao["properties"]["beizhu"] = {"title": "备注", "type": "string"}
    forms["fh_beian_tianbao.schema.json"] = json.dumps(tianbao, ensure_ascii=False)
    assert (
        api.deploy(
            ("fenghua_beian.bpmn", changed.encode()), *[(n, c.encode()) for n, c in forms.items()]
        ).status_code
        == 201
    )
    diff = api.get("/api/v1/definitions/fenghua_beian/diff?from=1&to=2").json
    (renamed,) = [e for e in diff["elements"] if e["change"] == "changed"]
    assert renamed["name"] == "区属集团审核" and renamed["details"] == ["名称：集团审核 → 区属集团审核"]
    (form,) = diff["forms"]
    assert form == {
        "form_key": "fh_beian_tianbao",
        "change": "changed",
        "details": ["新增字段「备注」（beizhu）"],
    }
    assert_problem(api.get("/api/v1/definitions/fenghua_beian/diff?from=1&to=9"), 404)


def test_diagram_diff_reads_added_removed_and_changed_elements():
    from service.engine.diagram_diff import diff_diagrams
    from tests.bpmn import linear, script, user

    old = linear("p", user("审核", 'camunda:candidateGroups="企业人事"'), script("a = 1"))
    new = linear("p", user("审核", 'camunda:candidateGroups="区属集团"'), script("a = 2"), user("复核"))
    changes = {(c.element_id, c.change): c.details for c in diff_diagrams(old, new)}
    assert changes[("S1", "changed")] == ("候选角色：企业人事 → 区属集团",)
    assert changes[("S2", "changed")] == ("脚本已修改",)
    assert ("S3", "added") in changes and ("F3", "added") in changes


def test_x01_a_diagram_giving_work_to_an_observer_role_is_refused(api):
    """X-01: 纪检监督 oversees every case and works on none; a diagram that offers it a task is
    refused at deployment, naming the task."""
    diagram = bpmn.linear("x01_literal", bpmn.user("核查异议", 'camunda:candidateGroups="纪检监督"'))
    body = assert_problem(api.deploy(("x01_literal.bpmn", diagram)), 422)
    assert "「核查异议」交给了 纪检监督" in body["detail"] and "X-01" in body["detail"]
    assert api.get("/api/v1/definitions/x01_literal").status_code == 404


def test_x01_a_task_whose_role_resolves_to_an_observer_is_refused_at_run_time(api):
    """X-01: where the diagram computes the role, the step that would open such a task is refused
    and nothing is saved."""
    diagram = bpmn.linear(
        "x01_computed",
        bpmn.user("核查异议", 'camunda:candidateGroups="${juese}"'),
        properties={"xuanpin:startFields": "juese"},  # the start data may name the role
    )
    assert api.deploy(("x01_computed.bpmn", diagram)).status_code == 201
    body = assert_problem(api.start("x01_computed", juese="纪检监督"), 422)
    assert "监督角色只查看、不办理" in body["detail"]
    assert api.get("/api/v1/instances", query_string={"definition_key": "x01_computed"}).json["items"] == []
    assert api.start("x01_computed", juese="工作组").status_code == 201
