"""In a real browser (Playwright driving Debian's Chromium) against a real `xuanpin serve`: a
reviewer on a 375 px phone screen sends a task back with 退回, picking the step from the list."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import PASSWORD
from tests.test_web_operations import _filled

pytestmark = pytest.mark.live

CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make browser)")
def test_a_reviewer_on_a_phone_returns_the_task_by_clicking(api, live_client):
    from playwright.sync_api import expect, sync_playwright

    instance_id, review = _filled(api)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 740}, locale="zh-CN")
            page.goto(f"{live_client.base_url}/tasks/{review}")
            page.get_by_label("用户名").fill("jituan")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", name="集团审核")).to_be_visible()
            page.get_by_text("退回", exact=True).click()
            page.get_by_label("退回到").select_option(index=0)
            page.get_by_label("退回理由").fill("材料不全")
            page.get_by_role("button", name="确认退回").click()
            expect(page.get_by_role("status")).to_contain_text("已退回")
            # Nothing sticks out of a phone screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
        finally:
            browser.close()
    assert [t["title"] for t in api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"]] == ["填报"]
