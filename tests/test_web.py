"""The web workspace through its pages (Flask's test client; the browser tests are in
test_browser.py): login with CSRF, the inbox, a task's form rendered from its schema with the
server's errors next to the fields, the case page and its diagram, the observer's read-only view."""

from __future__ import annotations

import re

import pytest

from service.timeutil import SHANGHAI, utcnow
from tests.conftest import PASSWORD, beian_files

TIANBAO = {
    "beian_leixing": "入职",
    "xingming": "张三",
    "shenfenzheng_hao": "33028319900101123X",
    "gangwei": "财务会计",
    "gangwei_leibie": "管理岗位",
    "xueli": "大学本科",
    "quanrizhi": "true",
    # Today: a change filed the day it happens is within FH-09's 15 working days (no 督办 task).
    "biandong_riqi": utcnow().astimezone(SHANGHAI).date().isoformat(),
}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browser:
    """A person at a browser: a cookie jar and the CSRF token of the last page."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        text = response.get_data(as_text=True)
        if 'name="csrf_token"' in text:
            self.token = _csrf(text)
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def login(self, username: str):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def test_pages_need_a_login_and_a_wrong_password_is_told_so(app):
    browser = Browser(app)
    assert browser.get("/").headers["Location"].endswith("/login")
    assert browser.get("/inbox").headers["Location"].startswith("/login?next=")
    browser.get("/login")
    wrong = browser.post("/login", {"username": "renshi", "password": "nope"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)


def test_a_post_without_the_sessions_csrf_token_is_refused(app):
    browser = Browser(app).login("renshi")
    refused = browser.client.post("/start/fenghua_beian", data={"csrf_token": "forged"})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)


def test_a_login_link_never_sends_people_to_another_site(app):
    browser = Browser(app)
    browser.get("/login")
    response = browser.client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": browser.token, "username": "renshi", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/inbox"


def test_a_clerk_starts_fills_the_form_sees_errors_by_the_field_and_submits(beian, app):
    browser = Browser(app).login("renshi")
    start = browser.get("/start").get_data(as_text=True)
    assert "奉化国企人员备案" in start
    started = browser.post("/start/fenghua_beian", {"business_key": "FH-WEB-1"})
    task_path = started.headers["Location"]
    assert task_path.startswith("/tasks/")
    page = browser.get(task_path).get_data(as_text=True)
    assert "填报备案材料" in page and 'name="xingming"' in page and 'type="date"' in page
    wrong = browser.post(task_path, {**TIANBAO, "shenfenzheng_hao": "12345"})
    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    # The server's message sits right after the field it belongs to, and the value stays.
    field = html[html.index('name="shenfenzheng_hao"') :]
    assert field.index("身份证号」格式不正确") < field.index('name="gangwei"')
    assert 'value="12345"' in html
    done = browser.post(task_path, TIANBAO)
    assert done.status_code == 302
    inbox = Browser(app).login("jituan").get("/inbox").get_data(as_text=True)
    assert "集团审核" in inbox and "FH-WEB-1" in inbox


def test_the_case_page_shows_the_timeline_and_the_diagram_with_what_ran(beian, app):
    instance = beian.start("fenghua_beian", user="renshi").json
    task = beian.inbox("renshi")[0]
    beian.complete(task["id"], "renshi", **{**TIANBAO, "quanrizhi": True})
    browser = Browser(app).login("renshi")
    page = browser.get(f"/cases/{instance['id']}").get_data(as_text=True)
    assert "填报备案材料" in page and "集团审核" in page  # done, and now waiting
    assert "身份证号" in page  # data shown with labels, not variable names
    diagram = browser.get(f"/cases/{instance['id']}/diagram.json").json
    assert "<bpmn:definitions" in diagram["xml"] or "definitions" in diagram["xml"]
    states = {e["id"]: e for e in diagram["elements"]}
    assert any(e["completed"] for e in states.values()) and any(e["active"] for e in states.values())


def test_the_observer_reads_a_task_but_gets_no_form_or_buttons(beian, app):
    beian.start("fenghua_beian", user="renshi")
    task = beian.inbox("renshi")[0]
    page = Browser(app).login("jijian").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "填报备案材料" in page
    assert "<button" not in page.split("</header>", 1)[1].replace('class="link">退出</button>', "")


def test_api_docs_load_swagger_ui_from_our_own_origin(app):
    page = app.test_client().get("/docs").get_data(as_text=True)
    assert "/assets/vendor/swagger-ui/swagger-ui-bundle.js" in page and "cdn." not in page
    assert app.test_client().get("/assets/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
