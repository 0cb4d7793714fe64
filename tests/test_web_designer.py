"""The process designer's workbench (issue 15): the modeler page, server validation per element,
deploying from the page, the versions page with its diff, running cases and migration."""

from __future__ import annotations

import json
import uuid

from tests import bpmn
from tests import test_jiebang as jb
from tests.conftest import PASSWORD, assert_problem
from tests.test_web import Browser


def _designer_user(api) -> str:
    username = f"sheji_{uuid.uuid4().hex[:8]}"
    account = {"username": username, "password": PASSWORD, "roles": ["设计人员"]}
    created = api.post("/api/v1/users", json=account)
    assert created.status_code == 201, created.json
    return username


def _process(key: str, group: str = "企业人事", form_key: str | None = None, task: str = "审核") -> bytes:
    attrs = f'camunda:candidateGroups="{group}"' + (f' camunda:formKey="{form_key}"' if form_key else "")
    return bpmn.linear(key, bpmn.user(task, attrs), name="设计测试")


def _seed(page: str) -> str:
    return page.split('id="designer-seed">', 1)[1].split("</script>", 1)[0]


def _page(browser: Browser) -> str:
    """The modeler page (also sets the CSRF token its scripts send)."""
    response = browser.get("/designer")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_designer_page_for_admins_and_designers_lists_processes_and_versions(api, app):
    key = f"sheji_{uuid.uuid4().hex[:8]}"
    assert api.deploy((f"{key}.bpmn", _process(key))).status_code == 201
    for username in ("admin", _designer_user(api)):
        browser = Browser(app).login(username)
        page = _page(browser)
        assert "vendor/designer/modeler.js" in page and "vendor/designer/properties-panel.css" in page
        assert key in page and f"/designer?key={key}&amp;version=1" in page
        assert "流程设计" in page  # the nav link
        opened = browser.get(f"/designer?key={key}&version=1").get_data(as_text=True)
        seed = json.loads(_seed(opened))
        assert seed["filename"] == f"{key}.bpmn" and f'id="{key}"' in seed["xml"]
        # A new diagram from the template, with a process id of its own.
        new = json.loads(_seed(page))
        assert new["filename"] == "" and 'id="Process_new"' not in new["xml"] and 'id="Process_' in new["xml"]


def test_a_clerk_gets_403_on_every_designer_page_and_no_nav_link(api, app):
    key = f"sheji_{uuid.uuid4().hex[:8]}"
    assert api.deploy((f"{key}.bpmn", _process(key))).status_code == 201
    browser = Browser(app).login("renshi")
    assert "流程设计" not in browser.get("/inbox").get_data(as_text=True)
    for path in ("/designer", f"/designer?key={key}", f"/designer/{key}/versions"):
        refused = browser.get(path)
        assert refused.status_code == 403
        assert "设计人员" in refused.get_data(as_text=True)
    for path in ("/designer/check", "/designer/deploy", "/designer/form-preview", f"/designer/{key}/migrate"):
        assert browser.post(path, {"bpmn": _process(key).decode()}).status_code == 403
    assert api.get(f"/api/v1/definitions/{key}").json["versions"][0]["version"] == 1


def test_check_names_the_element_of_each_problem(api, app):
    """The deploy checks run on 校验 and their problems carry the element the page marks."""
    key = f"sheji_{uuid.uuid4().hex[:8]}"
    browser = Browser(app).login("admin")
    _page(browser)
    good = browser.post("/designer/check", {"bpmn": _process(key).decode(), "filename": ""})
    assert good.status_code == 200, good.get_data(as_text=True)
    assert good.json["processes"] == [{"key": key, "name": "设计测试"}]
    # A flow that loops from the task back onto itself with no gateway (refused by the deploy checks).
    loop = b'<bpmn:sequenceFlow id="Floop" sourceRef="S1" targetRef="S1" />\n'
    looping = _process(key).replace(b'<bpmn:sequenceFlow id="Fend"', loop + b'<bpmn:sequenceFlow id="Fend"')
    broken = browser.post("/designer/check", {"bpmn": looping.decode()})
    body = assert_problem(broken, 422)
    assert [p["element_id"] for p in body["problems"] if p["element_id"]] == ["S1"]
    assert "循环" in body["problems"][0]["message"]
    # A gateway condition that does not compile names its flow.
    script = bpmn.linear(key, bpmn.script("x = = 1"))
    bad_script = assert_problem(browser.post("/designer/check", {"bpmn": script.decode()}), 422)
    assert any(p["element_id"] == "S1" for p in bad_script["problems"]), bad_script
    # A form that is not JSON is named by its form key.
    form = _process(key, form_key=f"{key}_form")
    bad_form = assert_problem(
        browser.post("/designer/check", {"bpmn": form.decode(), "forms": json.dumps({f"{key}_form": "{x"})}),
        422,
    )
    assert any(f"{key}_form" in (p.get("where") or "") for p in bad_form["problems"]), bad_form
    # Nothing was deployed by checking.
    assert_problem(api.get(f"/api/v1/definitions/{key}"), 404)


def test_deploy_from_the_designer_creates_a_version_with_its_form(api, app):
    key = f"sheji_{uuid.uuid4().hex[:8]}"
    form_key = f"{key}_form"
    schema = {
        "type": "object",
        "title": "审核意见",
        "properties": {"yijian": {"type": "string", "title": "意见"}},
    }
    browser = Browser(app).login(_designer_user(api))
    _page(browser)
    forms = json.dumps({form_key: json.dumps(schema)})
    data = {"bpmn": _process(key, form_key=form_key).decode(), "forms": forms}
    first = browser.post("/designer/deploy", data)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert [(v["key"], v["version"], v["created"]) for v in first.json["versions"]] == [(key, 1, True)]
    # The same content again makes no new version; a changed role does.
    assert browser.post("/designer/deploy", data).json["versions"][0]["created"] is False
    data["bpmn"] = _process(key, group="工作组", form_key=form_key).decode()
    data["filename"] = f"{key}.bpmn"
    assert browser.post("/designer/deploy", data).json["versions"][0]["version"] == 2
    versions = api.get(f"/api/v1/definitions/{key}").json["versions"]
    assert versions[0]["version"] == 2 and versions[0]["forms"] == [form_key]
    opened = browser.get(f"/designer?key={key}").get_data(as_text=True)
    assert json.loads(_seed(opened))["forms"][form_key]["title"] == "审核意见"
    # The new version runs.
    assert api.start(key, user="gongzuozu").status_code == 201


def test_form_preview_renders_the_task_page_fields(app):
    browser = Browser(app).login("admin")
    _page(browser)
    schema = {
        "type": "object",
        "properties": {
            "defen": {"type": "integer", "title": "得分", "minimum": 0, "maximum": 10},
            "jielun": {"type": "string", "title": "结论", "enum": ["通过", "不通过"]},
        },
        "required": ["defen"],
    }
    shown = browser.post("/designer/form-preview", {"form_key": "k", "schema": json.dumps(schema)})
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "得分" in html and 'max="10"' in html and "不通过" in html
    assert_problem(browser.post("/designer/form-preview", {"form_key": "k", "schema": "{"}), 422)


def test_versions_page_shows_who_deployed_the_diff_and_running_cases_and_migrates(api, app):
    key = f"sheji_{uuid.uuid4().hex[:8]}"
    assert api.deploy((f"{key}.bpmn", _process(key))).status_code == 201
    instance_id = api.start(key, user="renshi", business_key=f"BK-{key}").json["id"]
    second = _process(key, group="工作组", task="复核")
    assert api.deploy((f"{key}.bpmn", second)).status_code == 201
    browser = Browser(app).login("admin")
    page = browser.get(f"/designer/{key}/versions").get_data(as_text=True)
    assert "第 2 版" in page and "第 1 版" in page and "admin" in page
    # The readable diff from version 1 to 2.
    assert "「复核」" in page and "名称：审核 → 复核" in page and "候选角色：企业人事 → 工作组" in page
    # The running case under its version, with the migration offered.
    assert f"BK-{key}" in page and 'name="to_version"' in page
    migrate = {"from_version": "1", "to_version": "2", "instance_ids": instance_id}
    dry = browser.post(f"/designer/{key}/migrate", {**migrate, "dry_run": "1"})
    assert dry.status_code == 302
    assert "可以迁移" in browser.get(dry.headers["Location"]).get_data(as_text=True)
    assert api.get(f"/api/v1/instances/{instance_id}").json["version"] == 1
    done = browser.post(f"/designer/{key}/migrate", {**migrate, "dry_run": "0"})
    assert "已迁移" in browser.get(done.headers["Location"]).get_data(as_text=True)
    assert api.get(f"/api/v1/instances/{instance_id}").json["version"] == 2
    assert [t["title"] for t in api.inbox("gongzuozu") if t["instance_id"] == instance_id] == ["复核"]


def test_a_designer_who_is_not_an_admin_sees_versions_but_may_not_migrate(api, app):
    key = f"sheji_{uuid.uuid4().hex[:8]}"
    assert api.deploy((f"{key}.bpmn", _process(key))).status_code == 201
    instance_id = api.start(key, user="renshi").json["id"]
    assert api.deploy((f"{key}.bpmn", _process(key, group="工作组"))).status_code == 201
    browser = Browser(app).login(_designer_user(api))
    page = browser.get(f"/designer/{key}/versions").get_data(as_text=True)
    assert "需要全局管理员" in page and 'name="to_version"' not in page
    migrate = {"from_version": "1", "to_version": "2", "dry_run": "0"}
    refused = browser.post(f"/designer/{key}/migrate", migrate)
    assert "只有管理员可以迁移" in browser.get(refused.headers["Location"]).get_data(as_text=True)
    assert api.get(f"/api/v1/instances/{instance_id}").json["version"] == 1


def test_a_built_in_diagram_opens_in_the_designer_with_its_forms(api, app):
    assert api.deploy(*jb.files()).status_code == 201
    browser = Browser(app).login("admin")
    page = browser.get("/designer?key=jiebang_guashuai").get_data(as_text=True)
    seed = json.loads(_seed(page))
    assert seed["filename"] == "jiebang_guashuai.bpmn" and "Activity_jianbang" in seed["xml"]
    assert seed["forms"]  # the user tasks' forms go with the diagram
    # Deployed again with a change, together with the files deployed beside it (the called 公示
    # subprocess, the decision table): only the edited process gets a new version.
    before = api.get("/api/v1/definitions/gongshi").json["versions"][0]["version"]
    _page(browser)
    xml = seed["xml"].replace(
        'name="建榜" camunda:formKey', 'name="建榜" camunda:candidateGroups="党委工作部" camunda:formKey'
    )
    data = {
        "bpmn": xml,
        "filename": seed["filename"],
        "forms": json.dumps({k: json.dumps(v) for k, v in seed["forms"].items()}),
        "based_on_key": seed["based_on"]["key"],
        "based_on_version": str(seed["based_on"]["version"]),
    }
    deployed = browser.post("/designer/deploy", data)
    assert deployed.status_code == 200, deployed.get_data(as_text=True)
    [version] = [v for v in deployed.json["versions"] if v["key"] == "jiebang_guashuai"]
    assert version["created"] and version["version"] == seed["based_on"]["version"] + 1
    assert api.get("/api/v1/definitions/gongshi").json["versions"][0]["version"] == before
    # Without them the called subprocess is missing, and the check says so.
    alone = {k: v for k, v in data.items() if not k.startswith("based_on")}
    assert_problem(browser.post("/designer/check", alone), 422)
    # A decision table edited in the designer (dmn-js) replaces the deployed one: the process
    # that uses it gets a new version.
    assert list(seed["decisions"]) == ["jiebang_zige.dmn"]
    edited = seed["decisions"]["jiebang_zige.dmn"].replace('label="审查说明"', 'label="资格审查说明"')
    assert edited != seed["decisions"]["jiebang_zige.dmn"]
    again = browser.post("/designer/deploy", {**data, "decisions": json.dumps({"jiebang_zige.dmn": edited})})
    assert again.status_code == 200, again.get_data(as_text=True)
    [newer] = [v for v in again.json["versions"] if v["key"] == "jiebang_guashuai"]
    assert newer["created"] and newer["version"] == version["version"] + 1
    bad_name = browser.post("/designer/check", {**data, "decisions": json.dumps({"../x.dmn": edited})})
    assert_problem(bad_name, 422)


def test_a_new_diagram_from_the_template_passes_the_checks_and_deploys_under_its_own_id(app):
    browser = Browser(app).login("admin")
    seed = json.loads(_seed(_page(browser)))
    assert seed["based_on"] is None and seed["decisions"] == {}
    checked = browser.post("/designer/check", {"bpmn": seed["xml"]})
    assert checked.status_code == 200, checked.get_data(as_text=True)
    [process] = checked.json["processes"]
    assert process["key"].startswith("Process_") and process["name"] == "新流程"
    deployed = browser.post("/designer/deploy", {"bpmn": seed["xml"]})
    assert deployed.json["versions"][0]["key"] == process["key"]
    assert deployed.json["versions"][0]["version"] == 1
    page = browser.get(deployed.json["versions"][0]["versions_url"]).get_data(as_text=True)
    assert "第 1 版" in page and "流程设计工作台" in page  # the deployment's name


def _jieping_form(browser: Browser, xml: bytes) -> dict[str, str]:
    forms = {}
    for path in sorted(jb.FORMS.glob("ss_jieping*.schema.json")):
        forms[path.name.removesuffix(".schema.json")] = path.read_text(encoding="utf-8")
    return {
        "csrf_token": browser.token,
        "bpmn": xml.decode("utf-8"),
        "filename": "shengshu_jieping.bpmn",
        "forms": json.dumps(forms, ensure_ascii=False),
        "decisions": "{}",
    }


def test_the_workbench_runs_the_process_test_cases_against_the_edited_diagram(api, app):
    """Issue 15: before deploying, the designer runs the process's test cases
    (processes/tests/shengshu_jieping/) against the diagram as edited; a change that breaks a
    case is reported with the step, nothing is deployed either way."""
    source = (jb.PROCESSES / "shengshu_jieping.bpmn").read_bytes()
    designer = Browser(app).login(_designer_user(api))
    _page(designer)
    before = api.get("/api/v1/definitions", user="admin").json
    passed = designer.post("/designer/test-cases", _jieping_form(designer, source))
    assert passed.status_code == 200, passed.get_data(as_text=True)[:500]
    [run] = passed.json["processes"]
    assert run["key"] == "shengshu_jieping" and run["failed"] == 0 and run["passed"] >= 1
    assert passed.json["ok"] is True
    # The step the case completes renamed: the case cannot find it, and says where.
    broken = source.replace(b"Activity_dengji_qingxing", b"Activity_dengji_xinxi")
    failed = designer.post("/designer/test-cases", _jieping_form(designer, broken))
    assert failed.status_code == 200 and failed.json["ok"] is False
    [result] = failed.json["processes"][0]["results"]
    assert result["passed"] is False and "Activity_dengji_qingxing" in result["failure"]["message"]
    assert any("失败 FAIL" in line for line in result["report"])
    assert api.get("/api/v1/definitions", user="admin").json == before  # nothing deployed
    # A clerk may not run them.
    clerk = Browser(app).login("renshi")
    clerk.get("/inbox")
    assert clerk.post("/designer/test-cases", _jieping_form(clerk, source)).status_code == 403
