"""A whole 揭榜挂帅 call clicked through in a real browser (Playwright driving Debian's Chromium)
against a real `xuanpin serve` with several workers: every step is done on its page by a user of
the role it belongs to — the group's 工作组 starts and publishes the call, 党委工作部 registers the
applications with their scans, the judges score on a phone, 党委 and the receiving company decide —
until the formal appointment. On the way: a score outside its range is shown next to its field and
nothing is lost, the case page highlights what is done and what is open on the diagram, and the
discipline inspector (纪检监督) reads the case and the tasks without a button to press.

Only the clock is moved by the test (the server reads it from the test's clock file) and the due
timers fired, as the scheduler would.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from tests.conftest import PASSWORD
from tests.test_browser_intake import PHONE, _no_sideways_scroll, browser  # noqa: F401 (fixture)
from tests.test_jiebang import (
    BANGDAN,
    MINGTI,
    NAMES,
    PINGWEI,
    TIKU,
    at,
    data,
    ended_at,
    files,
    pingfen,
    shenqing,
    tick,
)
from tests.uploads import PDF

pytestmark = pytest.mark.live

DESK = {"width": 1280, "height": 900}
SCANS = ("fujian_shenfenzheng", "fujian_biyezheng", "fujian_zhichengzheng")


class Desk:
    """One signed-in browser per user, who opens the step from 我的待办 and submits its form."""

    def __init__(self, chromium: Any, live_client: Any) -> None:
        self.browser = chromium
        self.live = live_client
        self.pages: dict[str, Any] = {}

    def page(self, user: str, phone: bool = False) -> Any:
        if user not in self.pages:
            page = self.browser.new_context(viewport=PHONE if phone else DESK, locale="zh-CN").new_page()
            page.goto(f"{self.live.base_url}/inbox")
            page.get_by_label("用户名").fill(user)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            self.pages[user] = page
        return self.pages[user]

    def open(self, user: str, title: str) -> Any:
        from playwright.sync_api import expect

        self.live._sync_clock()  # the server's "now" is the test's travelled clock
        page = self.page(user)
        page.goto(f"{self.live.base_url}/inbox")
        page.get_by_role("link", name=title).first.click()
        expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
        if page.get_by_role("button", name="认领").count():
            page.get_by_role("button", name="认领").click()
        return page

    def submit(self, page: Any, title: str) -> None:
        from playwright.sync_api import expect

        page.get_by_role("button", name="提交", exact=True).click()
        expect(page.get_by_role("status").first).to_contain_text(f"「{title}」已提交")

    def do(self, user: str, title: str, uploads: dict[str, str] | None = None, **values: Any) -> None:
        page = self.open(user, title)
        fill(page, values)
        for field, filename in (uploads or {}).items():
            attach(page, field, filename)
        self.submit(page, title)


def fill(page: Any, values: dict[str, Any], prefix: str = "") -> None:
    """Types `values` into the form the way a person would: objects are groups of fields, lists
    of records are table rows or cards (added with the page's own button), lists of plain values
    are check boxes or repeated inputs."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            fill(page, value, f"{path}.")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, row in enumerate(value):
                while page.locator(f'[name^="{path}.{index}."]').count() == 0:
                    page.locator(f'[data-table="{path}"] > [data-add-row]').click()
                fill(page, row, f"{path}.{index}.")
        elif isinstance(value, list):
            controls = page.locator(f'[name="{path}"]')
            if controls.first.get_attribute("type") == "checkbox":
                for box in controls.all():
                    box.set_checked(box.get_attribute("value") in value)
                continue
            while controls.count() < len(value):
                page.locator(f'[data-add-item="{path}"]').click()
            for index, item in enumerate(value):
                controls.nth(index).fill(str(item))
        else:
            text = "true" if value is True else "false" if value is False else str(value)
            control = page.locator(f'[name="{path}"]')
            kind = control.first.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
            if kind == "radio":
                page.locator(f'[name="{path}"][value="{text}"]').check()
            elif kind == "select":
                control.select_option(text)
            else:
                control.fill(text)


def attach(page: Any, field: str, filename: str) -> None:
    """Chooses a scan for an attachment field; the page uploads it at once and links it."""
    from playwright.sync_api import expect

    page.locator(f'[name="{field}.__upload"]').set_input_files(
        files=[{"name": filename, "mimeType": "application/pdf", "buffer": PDF}]
    )
    expect(page.get_by_role("link", name=filename)).to_be_visible()


def application(name: str) -> tuple[dict[str, Any], dict[str, str]]:
    form = shenqing(name)
    for field in SCANS:
        del form[field]
    return form, {f"shenqing.{field}": f"{name}{field}.pdf" for field in SCANS}


def test_a_whole_call_clicked_through_by_every_role(api, live_client, browser):  # noqa: F811
    """JB-01–JB-03, JB-06, JB-07, JB-09–JB-11, JB-14–JB-17 and X-01 in the browser."""
    from playwright.sync_api import expect

    assert api.deploy(*files()).status_code == 201
    desk = Desk(browser, live_client)
    with time_machine.travel(at("2026-03-02"), tick=False) as traveller:
        # 工作组 starts the procedure from 发起流程, then 建榜 and 发榜 (JB-01, JB-02).
        start = desk.page("gongzuozu")
        live_client._sync_clock()
        start.goto(f"{live_client.base_url}/start")
        card = start.locator(".card", has_text="jiebang_guashuai")
        card.get_by_label("业务编号（可选）").fill("GT-JB-2026-01")
        card.get_by_role("button", name="发起").click()
        expect(start.get_by_role("heading", name="建榜")).to_be_visible()
        instance_id = start.locator(".crumbs a").nth(1).get_attribute("href").rsplit("/", 1)[1]
        fill(start, BANGDAN)
        desk.submit(start, "建榜")
        desk.do("gongzuozu", "发榜", fabu_riqi="2026-03-02", fabu_qudao="本溪市国资委网站")

        # 党委工作部 registers the three paper applications with their scans (JB-03).
        for day, name in zip(["2026-03-03", "2026-03-05", "2026-03-09"], NAMES, strict=True):
            traveller.move_to(at(day))
            form, scans = application(name)
            desk.do("dangweigongzuobu", "登记揭榜申请", uploads=scans, shenqing=form, shoudao_riqi=day)
        traveller.move_to(at("2026-03-10", "00:00"))
        assert tick(api) == 1  # the window closes by its timer
        traveller.move_to(at("2026-03-10"))
        desk.do(
            "dangweigongzuobu",
            "审核并提出揭榜对象",
            niding_duixiang=NAMES,
            shenhe_yijian="经审核，符合揭榜条件。",
        )
        desk.do("dangweigongzuobu", "登记公示张贴", gongshi_zhangtie_riqi="2026-03-10")
        traveller.move_to(at("2026-03-14", "00:00"))
        assert tick(api) == 1  # JB-06: 3 days without objection
        traveller.move_to(at("2026-03-16"))
        # JB-07, JB-10: the panel and the question setter the 党委 names; the setter sets the bank
        # in closed conditions, and on the day the speaking order is drawn on site.
        desk.do(
            "dangwei",
            "确定面试评审组",
            pingwei_list=PINGWEI,
            dangwei_yanjiu_riqi="2026-03-16",
            mingti_ren=MINGTI,
        )
        desk.do(MINGTI, "封闭出题", tiku=TIKU, chouti_shu=4, chuti_ren="赵靓")
        desk.do("gongzuozu", "现场抽签", chouqian_riqi="2026-03-16")

        # The case page: what is done is green on the diagram, the open scoring is outlined.
        case = desk.page("gongzuozu")
        case.goto(f"{live_client.base_url}/cases/{instance_id}")
        expect(case.locator("#diagram[data-ready=true]")).to_be_attached()
        expect(case.locator(".bjs-drilldown").first).to_have_attribute("title", "打开「面试评分」")
        assert case.locator(".djs-element.xp-done").count() >= 6
        expect(case.locator(".djs-element.xp-active")).not_to_have_count(0)

        # JB-07, JB-09: each judge scores on a phone. A sub-score above its maximum is refused
        # next to its field and what was typed stays; corrected, the sheet goes in.
        sheets = {judge: pingfen({"张建国": 90, "李明华": 85, "王志强": 82}) for judge in PINGWEI}
        first = PINGWEI[0]
        phone = desk.page(first, phone=True)
        page = desk.open(first, "面试评分")
        wrong = [dict(row) for row in sheets[first]]
        wrong[0] = {**wrong[0], "yanjiang": {**wrong[0]["yanjiang"], "biaoxian": 35}}
        fill(page, {"pingfen": wrong})
        _no_sideways_scroll(phone)
        page.get_by_role("button", name="提交", exact=True).click()
        error = page.locator("#err-pingfen-0-yanjiang-biaoxian")
        expect(error).to_be_visible()
        expect(page.locator('[name="pingfen.0.yanjiang.biaoxian"]')).to_have_attribute("aria-invalid", "true")
        expect(page.locator('[name="pingfen.2.dabian.suyang"]')).to_have_value(
            str(sheets[first][2]["dabian"]["suyang"])
        )
        fill(page, {"pingfen": sheets[first]})
        desk.submit(page, "面试评分")
        for judge in PINGWEI[1:]:
            desk.page(judge, phone=True)
            desk.do(judge, "面试评分", pingfen=sheets[judge])
        scores = {e["xingming"]: e["defen"] for e in data(api, instance_id)["mianshi_chengji"]}
        assert scores == {"张建国": 90, "李明华": 85, "王志强": 82}  # JB-11

        # the discipline inspector reads the case and the open task, with nothing to press.
        observer = desk.page("jijian")
        for path in (f"/cases/{instance_id}", f"/tasks/{_open_task(api, instance_id)}"):
            observer.goto(f"{live_client.base_url}{path}")
            main = observer.locator("main")
            expect(main).to_be_visible()
            # The diagram's drill-down into a subprocess is navigation, not an action.
            buttons = main.locator("button:not(.bjs-drilldown)")
            assert buttons.count() == 0, (path, buttons.evaluate_all("bs => bs.map(b => b.outerHTML)"))
            assert main.locator('form[method="post"]').count() == 0, path

        # JB-14, JB-15: inspection, the committee's proposal, the receiving company's consent.
        desk.do(
            "danggongbu",
            "组织考察",
            kaocha_de="政治立场坚定，遵纪守法。",
            kaocha_neng="熟悉营销业务，组织协调能力强。",
            kaocha_qin="工作勤勉，敢于担当。",
            kaocha_ji="近三年销售业绩突出。",
            kaocha_lian="廉洁自律，未发现问题。",
            kaocha_zongjie="张建国同志德才兼备，适合担任市场营销部部长。",
        )
        desk.do(
            "dangwei",
            "党委研究讨论",
            taolun_riqi="2026-03-20",
            renmian_jianyi="建议任用",
            taolun_jiyao="一致同意提出任职建议。",
        )
        desk.do(
            "shuibeng", "研究任职建议", shuibeng_tongyi=True, shuibeng_yijian="同意到岗试用，进行任前公示。"
        )

        # JB-16: 任前公示 of 5 working days; JB-17: the trial period, then the formal appointment.
        desk.do("dangweigongzuobu", "登记公示张贴", gongshi_zhangtie_riqi="2026-03-16")
        traveller.move_to(at("2026-03-24", "00:00"))
        assert tick(api) == 1
        traveller.move_to(at("2026-03-24"))
        desk.do("shuibeng", "安排到岗试用", renzhi_riqi="2026-04-01")
        traveller.move_to(at("2027-04-02", "00:00"))
        assert tick(api) == 1
        traveller.move_to(at("2027-04-02"))
        desk.do("dangwei", "试用期考核", kaohe_jieguo="合格", kaohe_yijian="完成年度经营目标，考核合格。")
        desk.do("shuibeng", "正式任命", renming_wenhao="本水泵党发〔2027〕5号", renming_riqi="2027-04-10")

        assert ended_at(api, instance_id) == "已正式任命"
        record = data(api, instance_id)
        assert [s["xingming"] for s in record["shenqing_list"]] == NAMES
        assert (
            record["shenqing_list"][0]["fujian_shenfenzheng"][0]["filename"]
            == "张建国fujian_shenfenzheng.pdf"
        )
        assert [p["pingwei"] for p in record["pingfen_biao"]] == PINGWEI  # JB-18
        # The case page of the finished case: every step taken is green, none open.
        case.goto(f"{live_client.base_url}/cases/{instance_id}")
        expect(case.locator("#diagram[data-ready=true]")).to_be_attached()
        assert case.locator(".djs-element.xp-active").count() == 0


def _open_task(api: Any, instance_id: str) -> str:
    return api.get(f"/api/v1/instances/{instance_id}").json["open_tasks"][0]["id"]
