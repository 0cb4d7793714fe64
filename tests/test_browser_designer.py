"""In a real browser (Playwright driving Debian's Chromium) against a real `xuanpin serve`: a
process designer opens the built-in 揭榜挂帅 diagram in the web modeler, gives 建榜 a candidate
group in the Camunda properties panel, opens its decision table in dmn-js, is shown the error of
a broken flow on the element, fixes it, deploys, and the new version runs (issue 15)."""

from __future__ import annotations

import shutil

import pytest

from tests import test_jiebang as jb
from tests.conftest import PASSWORD

pytestmark = pytest.mark.live

CHROMIUM = shutil.which("chromium")
TASK = "Activity_jianbang"


def _designer(browser, live_client, key: str):
    """The admin signed in on the modeler page with `key`'s diagram loaded."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page.goto(f"{live_client.base_url}/designer?key={key}")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#designer-canvas[data-ready=true]")).to_be_attached()
    return page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make browser)")
def test_designer_edits_a_built_in_diagram_sees_a_broken_flow_fixes_it_and_deploys(api, live_client):
    from playwright.sync_api import expect, sync_playwright

    assert api.deploy(*jb.files()).status_code == 201
    before = api.get("/api/v1/definitions/jiebang_guashuai").json["versions"][0]["version"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = _designer(browser, live_client, "jiebang_guashuai")

            # The decision table deployed beside it opens in dmn-js (and goes with the deployment).
            page.get_by_role("tab", name="决策表 jiebang_zige.dmn").click()
            expect(page.locator('#designer-dmn[data-ready="jiebang_zige.dmn"]')).to_be_attached()
            expect(page.locator("#designer-dmn .tjs-table")).to_be_visible()
            expect(page.locator("#designer-dmn")).to_contain_text("符合揭榜条件")
            page.get_by_role("tab", name="流程图").click()
            expect(page.locator("#designer-canvas")).to_be_visible()

            # The task's candidate group, in the properties panel.
            page.locator(f'.djs-element[data-element-id="{TASK}"]').click()
            group = page.locator(
                '[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header'
            )
            group.click()
            page.locator("#bio-properties-panel-candidateGroups").fill("党委工作部")
            page.wait_for_function(
                "id => window.xuanpinDesigner.modeler.get('elementRegistry').get(id)"
                ".businessObject.get('camunda:candidateGroups') === '党委工作部'",
                arg=TASK,
            )
            # The task's form is next to it, previewed as the task page shows it.
            expect(page.locator("#designer-form-key")).to_have_text("jb_jianbang")
            expect(page.locator("#designer-form-preview .field").first).to_be_visible()

            # A broken flow: the task loops back onto itself with no gateway.
            page.evaluate(
                """id => {
                  const m = window.xuanpinDesigner.modeler;
                  const task = m.get('elementRegistry').get(id);
                  window.brokenFlow = m.get('modeling').connect(task, task, { type: 'bpmn:SequenceFlow' });
                }""",
                TASK,
            )
            page.get_by_role("button", name="校验").click()
            expect(page.locator("#designer-problem-list")).to_contain_text("循环")
            expect(page.locator(f'.djs-element.xp-error[data-element-id="{TASK}"]')).to_be_attached()
            expect(page.locator(".xp-problem")).to_have_count(1)

            # Fixed: the flow removed, the check passes and the markers are gone.
            page.evaluate(
                "() => window.xuanpinDesigner.modeler.get('modeling').removeElements([window.brokenFlow])"
            )
            page.get_by_role("button", name="校验").click()
            expect(page.locator("#designer-status")).to_contain_text("校验通过")
            expect(page.locator(".djs-element.xp-error")).to_have_count(0)
            expect(page.locator("#designer-problems")).to_be_hidden()

            page.get_by_role("button", name="部署为新版本").click()
            expect(page.locator("#designer-status")).to_contain_text(f"第 {before + 1} 版")
        finally:
            browser.close()

    versions = api.get("/api/v1/definitions/jiebang_guashuai").json["versions"]
    assert versions[0]["version"] == before + 1 and versions[0]["deployed_by"] == "admin"
    # The new version starts, and 建榜 goes to the group set in the properties panel.
    started = api.start("jiebang_guashuai", user="gongzuozu", business_key="GT-JB-DESIGNER")
    assert started.status_code == 201, started.json
    assert started.json["version"] == before + 1
    assert any(t["instance_id"] == started.json["id"] for t in api.inbox("dangweigongzuobu"))


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make browser)")
def test_designer_runs_the_process_test_cases_before_deploying(api, live_client):
    """The 运行测试用例 button runs processes/tests/shengshu_jieping/ against the diagram as it
    stands in the modeler and says how many passed (issue 15)."""
    from playwright.sync_api import expect, sync_playwright

    sources = [jb.PROCESSES / "shengshu_jieping.bpmn", *sorted(jb.FORMS.glob("ss_jieping*.schema.json"))]
    assert api.deploy(*sources).status_code == 201
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = _designer(browser, live_client, "shengshu_jieping")
            page.get_by_role("button", name="运行测试用例").click()
            expect(page.locator("#designer-status")).to_contain_text(
                "shengshu_jieping：通过 1，失败 0", timeout=60_000
            )
            expect(page.locator("#designer-problems")).to_be_hidden()
        finally:
            browser.close()
