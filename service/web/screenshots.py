"""`make screenshots`: pictures of the main pages into docs/screenshots/, from a fresh demo.

A throw-away SQLite database gets the migrations, the built-in processes and forms and the
demo accounts (`xuanpin demo`); a 揭榜挂帅 call is driven through the REST API to the
registration step with one application registered by the office, and a real `xuanpin serve`
is photographed by Debian's Chromium (Playwright) at desk width and at 375 px (a phone).
Nothing here runs in production; it needs `make install vendor browser`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from service.demo import DEMO_PASSWORD
from service.domain.own_records import check_digit
from service.timeutil import SHANGHAI, utcnow

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
DESK = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 740}
CANDIDATE_ID = "2105021985061" + "2468"
CANDIDATE_ID += check_digit(CANDIDATE_ID)
BANGDAN = {
    "jingpin_zhiwei": "本溪水泵有限责任公司市场营销部部长",
    "fabang_danwei": "本溪国通置业投资（集团）有限公司",
    "jiebang_duixiang": "原则上具有5年及以上工作经历、中层副职管理岗位或中级专业技术岗位或高级工技能岗位"
    "及以上，任职1年及以上。",
    "zhuyao_mubiao": "保证物资采购、保存、销售等各环节全链条安全；提升产品销售量、降低采购成本；"
    "完成经营目标。",
    "chengguo_yaoqiu": "提高产品销售收入和利润；拓展销售渠道，挖掘潜在客户；大力降低采购成本。",
    "ziyuan_zhengce": "自主选择物资采购途径；产品销售政策支持；企业机构与用人权限；激励薪酬与业绩挂钩；"
    "容错激励。",
    "shiyongqi_yue": 12,
    "qita_shixiang": "无",
}
PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Demo:
    def __init__(self, base: str) -> None:
        self.base = base
        self.tokens: dict[str, str] = {}

    def call(self, method: str, path: str, user: str = "admin", **kwargs: Any) -> Any:
        if user not in self.tokens:
            answer = httpx.post(
                f"{self.base}/api/v1/auth/token", json={"username": user, "password": DEMO_PASSWORD}
            )
            answer.raise_for_status()
            self.tokens[user] = answer.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        answer = httpx.request(method, f"{self.base}{path}", headers=headers, timeout=60, **kwargs)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json() if answer.content else None

    def do(self, user: str, title: str, **data: Any) -> None:
        task = next(t for t in self.call("GET", "/api/v1/tasks", user)["items"] if t["title"] == title)
        self.call("POST", f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data})

    def upload(self, user: str, name: str) -> dict[str, str]:
        stored = self.call("POST", "/api/v1/files", user, files={"file": (name, PDF, "application/pdf")})
        return {"file_id": stored["id"], "filename": name}


def prepare(demo: Demo) -> str:
    """A 揭榜挂帅 call open for applications, one registered; the candidate's account linked."""
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    demo.call(
        "POST",
        "/api/v1/users",
        json={
            "username": "shenqingren",
            "password": DEMO_PASSWORD,
            "display_name": "张建国",
            "roles": ["揭榜人"],
            "id_number": CANDIDATE_ID,
        },
    )
    case = demo.call(
        "POST",
        "/api/v1/instances",
        "gongzuozu",
        json={"definition_key": "jiebang_guashuai", "business_key": "GT-JB-2026-01", "data": {}},
    )
    demo.do("gongzuozu", "建榜", **BANGDAN)
    demo.do("gongzuozu", "发榜", fabu_riqi=today, fabu_qudao="本溪市国资委网站")
    clerk = "dangweigongzuobu"
    application = {
        "xingming": "张建国",
        "shenfenzheng_hao": CANDIDATE_ID,
        "xingbie": "男",
        "chusheng_riqi": "1985-06-12",
        "minzu": "汉族",
        "jiguan": "辽宁本溪",
        "chushengdi": "辽宁本溪",
        "canjia_gongzuo_shijian": "2009-07-15",
        "jiankang_zhuangkuang": "健康",
        "zhuanye_jishu_zhiwu": "经济师",
        "shuxi_zhuanye": "市场营销、物资采购管理",
        "quanrizhi_jiaoyu": {
            "xueli_xuewei": "大学本科 管理学学士",
            "yuanxiao_zhuanye": "东北财经大学 市场营销专业",
        },
        "xian_danwei_zhiwu": "本溪钢铁（集团）有限责任公司销售中心副主任",
        "jingpin_zhiwei": BANGDAN["jingpin_zhiwei"],
        "zige_leibie": "中层副职及以上管理岗位",
        "zige_qude_riqi": "2021-03-01",
        "jianli": "2009.07—2015.12 本钢销售中心业务员；2016.01—2021.02 科长；2021.03至今 副主任。",
        "jiangcheng_qingkuang": "2022年度集团先进工作者",
        "jiating_chengyuan": [
            {
                "chengwei": "妻子",
                "xingming": "刘丽",
                "nianling": 38,
                "zhengzhi_mianmao": "群众",
                "danwei_zhiwu": "教师",
            }
        ],
        "fujian_shenfenzheng": [demo.upload(clerk, "张建国身份证.pdf")],
        "fujian_biyezheng": [demo.upload(clerk, "张建国毕业证.pdf")],
        "fujian_zhichengzheng": [],
    }
    demo.do(clerk, "登记揭榜申请", shenqing=application, shoudao_riqi=today)
    return str(case["id"])


def shoot(base: str, case_id: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    with sync_playwright() as playwright:
        chromium = shutil.which("chromium")
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])

        def page(user: str | None, viewport: dict[str, int]) -> Any:
            opened = browser.new_page(viewport=viewport, locale="zh-CN")
            if user:
                opened.goto(f"{base}/login")
                opened.get_by_label("用户名").fill(user)
                opened.get_by_label("密码").fill(DEMO_PASSWORD)
                opened.get_by_role("button", name="登录").click()
                opened.wait_for_load_state()
            return opened

        def picture(opened: Any, path: str, name: str, full: bool = True) -> None:
            opened.goto(f"{base}{path}")
            opened.wait_for_load_state("networkidle")
            target = OUT / f"{name}.png"
            opened.screenshot(path=str(target), full_page=full)
            taken.append(target)

        try:
            picture(page(None, PHONE), "/login", "login-phone", full=False)
            clerk = page("dangweigongzuobu", DESK)
            picture(clerk, "/inbox", "inbox-desktop", full=False)
            clerk.goto(f"{base}/inbox")
            task_link = clerk.get_by_role("link", name="登记揭榜申请").first.get_attribute("href")
            picture(clerk, task_link, "task-form-desktop")
            picture(clerk, f"/cases/{case_id}", "case-desktop")
            public = page(None, PHONE)
            picture(public, "/gongshi", "notice-board-phone")
            picture(page(None, DESK), "/gongshi", "notice-board-desktop", full=False)
            candidate = page("shenqingren", PHONE)
            picture(candidate, f"/apply/{case_id}", "apply-phone", full=False)
            picture(candidate, "/me/applications", "my-applications-phone")
            admin = page("admin", DESK)
            picture(
                admin, f"/admin/calendar?year={utcnow().astimezone(SHANGHAI).year}", "admin-calendar-desktop"
            )
            picture(page("jijian", PHONE), f"/cases/{case_id}", "case-observer-phone", full=False)
            wide = page("admin", {"width": 1600, "height": 900})
            wide.goto(f"{base}/designer?key=jiebang_guashuai")
            wide.locator("[data-ready=true]").first.wait_for()
            # A task selected: its Camunda properties beside the canvas.
            wide.locator('.djs-element[data-element-id="Activity_queding_pingwei"]').first.click()
            target = OUT / "designer-desktop.png"
            wide.screenshot(path=str(target))
            taken.append(target)
            picture(admin, "/designer/jiebang_guashuai/versions", "designer-versions-desktop")
        finally:
            browser.close()
    return taken


@contextmanager
def demo_server(workers: int = 1) -> Iterator[str]:
    """A real `xuanpin serve` on a throw-away SQLite database with the demo: its base URL."""
    with tempfile.TemporaryDirectory(prefix="xuanpin-demo-") as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{scratch}/demo.db",
            "XUANPIN_SCHEDULER": "0",
            "XUANPIN_SECRET_KEY": "throw-away-demo",
        }
        xuanpin = str(Path(sys.executable).parent / "xuanpin")
        for command in (["db", "upgrade"], ["deploy", "processes", "forms"], ["demo"]):
            subprocess.run([xuanpin, *command], cwd=ROOT, env=env, check=True, capture_output=True)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [xuanpin, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    with demo_server() as base:
        case_id = prepare(Demo(base))
        for taken in shoot(base, case_id):
            print(taken.relative_to(ROOT))


if __name__ == "__main__":
    main()
