"""In a real browser (Playwright driving Debian's Chromium) against a real `xuanpin serve`:
a candidate on a phone applies online from the notice board and sees the outcome (X-03); an
objection filed from the public board holds up the procedure until 党工部 has checked it and
党委 has decided it (X-04, JB-16), and the objector reads the feedback by the receipt code."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.conftest import PASSWORD
from tests.test_jiebang import _to_list_publicity, at, shenqing, tick, titles
from tests.test_web_intake import _open_call, flatten
from tests.uploads import PDF

pytestmark = pytest.mark.live

CHROMIUM = shutil.which("chromium")
PHONE = {"width": 375, "height": 740}


@pytest.fixture()
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("needs Debian's chromium (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def _login(page: Any, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _fill(page: Any, fields: dict[str, str]) -> None:
    """Fills inputs by their form names, whatever control the schema made of each."""
    for name, value in fields.items():
        if name.endswith("__present"):
            continue
        control = page.locator(f'[name="{name}"]')
        if control.count() == 0:  # a table row not on the page yet
            table = name.split(".")[:-2]
            page.locator(f'[data-table="{".".join(table)}"] [data-add-row]').click()
        kind = control.first.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
        if kind == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "select":
            control.select_option(value)
        else:
            control.fill(value)


WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + '[' + (e.name || e.id || '') + ']')"""


def _no_sideways_scroll(page: Any) -> None:
    """Nothing sticks out of a phone screen (the elements that do are named)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], page.evaluate(WIDE)


def test_a_candidate_on_a_phone_applies_online_and_sees_the_outcome(api, live_client, browser):
    from playwright.sync_api import expect

    with time_machine.travel(at("2026-03-03"), tick=False):
        instance_id = _open_call(api)
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        page.goto(f"{live_client.base_url}/gongshi")
        expect(page.get_by_text("本溪水泵有限责任公司市场营销部部长").first).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_role("link", name="网上报名 / 揭榜").click()
        _login(page, "jiebangren1")
        expect(page.get_by_role("group", name="揭榜申请表")).to_be_visible()
        application = shenqing("张建国")
        for field in ("fujian_shenfenzheng", "fujian_biyezheng", "fujian_zhichengzheng"):
            del application[field]
        _fill(page, flatten({"shenqing": application}))
        # Attachments: chosen, uploaded at once, shown by name as a link.
        for field in ("fujian_shenfenzheng", "fujian_biyezheng"):
            page.locator(f'[name="shenqing.{field}.__upload"]').set_input_files(
                files=[{"name": f"{field}.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
            expect(page.get_by_role("link", name=f"{field}.pdf")).to_be_visible()
        _no_sideways_scroll(page)
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_role("heading", name="我的申请")).to_be_visible()
        expect(page.get_by_text("已受理：符合揭榜条件")).to_be_visible()
        _no_sideways_scroll(page)
    records = api.get(f"/api/v1/instances/{instance_id}", user="dangweigongzuobu").json["data"][
        "shenqing_list"
    ]
    assert [(r["xingming"], r["shouli"]) for r in records] == [("张建国", True)]


def test_an_objection_from_the_public_board_holds_the_procedure_until_decided(api, live_client, browser):
    from playwright.sync_api import expect

    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        instance_id = _to_list_publicity(api, traveller)
        public = browser.new_page(viewport=PHONE, locale="zh-CN")
        public.goto(f"{live_client.base_url}/gongshi")
        expect(public.get_by_text("拟参与揭榜对象：张建国、李明华、王志强")).to_be_visible()
        public.get_by_role("link", name="提出异议").click()
        public.get_by_label("姓名").fill("王五")
        public.get_by_label("联系方式").fill("13800000000")
        public.get_by_label("反映的事实").fill("王志强的工作经历与申请表填写不符，实际未满五年。")
        public.get_by_label("证明材料（可选）").set_input_files(
            files=[{"name": "社保缴费记录.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        public.get_by_role("button", name="提交异议").click()
        expect(public.get_by_role("heading", name="异议已登记")).to_be_visible()
        code = public.locator("#receipt-code").inner_text()
        _no_sideways_scroll(public)

        # The period ends (JB-06: 3 days), but the objection is not decided: nothing moves on.
        traveller.move_to(at("2026-03-14", "00:00"))
        assert tick(api) == 1
        assert "确定面试评审组" not in titles(api, "dangwei")

        desk = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        desk.goto(f"{live_client.base_url}/inbox")
        _login(desk, "danggongbu")
        desk.get_by_role("link", name="核查异议").first.click()
        expect(desk.get_by_role("link", name="社保缴费记录.pdf")).to_be_visible()  # the evidence
        desk.get_by_label("异议不成立").check()
        desk.get_by_label("核查情况说明").fill("经核查人事档案，王志强工作经历已满五年。")
        desk.get_by_label("向举报人反馈情况").fill("您反映的问题经核查不属实。")
        desk.get_by_role("button", name="提交", exact=True).click()
        expect(desk.get_by_role("status")).to_contain_text("已提交")
        assert "确定面试评审组" not in titles(api, "dangwei")

        desk.context.clear_cookies()
        desk.goto(f"{live_client.base_url}/inbox")
        _login(desk, "dangwei")
        desk.get_by_role("link", name="决定异议处理").first.click()
        desk.get_by_label("异议不成立").check()
        desk.get_by_label("决定依据").fill("党委会议研究，异议不成立。")
        desk.get_by_role("button", name="提交", exact=True).click()
        expect(desk.get_by_role("status")).to_contain_text("已提交")
        assert "确定面试评审组" in titles(api, "dangwei")

        public.goto(f"{live_client.base_url}/gongshi/feedback")
        public.get_by_label("回执码").fill(code)
        public.get_by_role("button", name="查询").click()
        expect(public.get_by_role("heading", name="处理情况：已作出决定")).to_be_visible()
        expect(public.get_by_text("您反映的问题经核查不属实。")).to_be_visible()
    assert instance_id
