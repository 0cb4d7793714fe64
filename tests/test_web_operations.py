"""The issue-10 operations on the pages (Flask test client): 转办, 委派/交回, 退回, 抄送 and 抄送我的,
审批意见, 撤回, 催办, the admin's 挂起/恢复/撤销 and 出错的流程 with 重试, and the observer (X-01)
seeing none of them. Every refusal is a Chinese flash message on the page, never an error page."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests import bpmn
from tests.conftest import beian_files
from tests.test_task_return import _deploy, _open, _start
from tests.test_web import TIANBAO, Browser


@pytest.fixture()
def beian(api):
    assert api.deploy(*beian_files()).status_code == 201
    return api


def _filled(api) -> tuple[str, str]:
    """A three-step case (填报 → 集团审核 → 国资审核) whose 填报 企业人事 did: (instance id, the
    open 集团审核 task id)."""
    _deploy(
        api,
        "ceshi_web_ops",
        bpmn.user("填报", 'camunda:candidateGroups="企业人事"'),
        bpmn.user("集团审核", 'camunda:candidateGroups="区属集团"'),
        bpmn.user("国资审核", 'camunda:candidateGroups="区国资管理中心"'),
    )
    instance_id = _start(api, "ceshi_web_ops", business_key="WEB-OPS")
    [fill] = _open(api, instance_id)
    assert api.complete(fill["id"], "renshi", shuoming="初稿").status_code == 200
    [review] = _open(api, instance_id)
    return instance_id, review["id"]


def _follow(browser: Browser, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def test_the_reviewer_returns_the_task_to_a_step_picked_from_the_list(beian, app):
    instance_id, review = _filled(beian)
    browser = Browser(app).login("jituan")
    page = browser.get(f"/tasks/{review}").get_data(as_text=True)
    assert "退回" in page and 'name="target"' in page and "填报" in page
    target = page.split('name="target"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    after = _follow(
        browser, browser.post(f"/tasks/{review}/return", {"target": target, "comment": "岗位填错"})
    )
    assert "已退回" in after
    assert [t["title"] for t in _open(beian, instance_id)] == ["填报"]


def test_a_refused_operation_is_a_chinese_message_on_the_page_not_an_error(beian, app):
    _instance_id, review = _filled(beian)
    browser = Browser(app).login("jituan")
    browser.get(f"/tasks/{review}")
    refused = browser.post(f"/tasks/{review}/transfer", {"to_user": "nobody"})
    page = _follow(browser, refused)
    assert 'class="flash error"' in page and "nobody" in page
    unknown = browser.post(f"/tasks/{review}/return", {"target": "no_such_step"})
    assert 'class="flash error"' in _follow(browser, unknown)


def test_transfer_to_a_colleague_moves_the_task_to_their_inbox(beian, app):
    beian.start("fenghua_beian", user="renshi")
    task = beian.inbox("renshi")[0]
    browser = Browser(app).login("renshi")
    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "转办" in page and '<option value="renshi2">' in page
    done = browser.post(f"/tasks/{task['id']}/transfer", {"to_user": "renshi2", "comment": "出差"})
    assert done.headers["Location"] == "/inbox"
    assert [t["assignee"] for t in beian.inbox("renshi2")] == ["renshi2"]


def test_delegate_then_the_delegate_hands_back_and_the_owner_submits(beian, app):
    beian.start("fenghua_beian", user="renshi")
    task = beian.inbox("renshi")[0]
    owner = Browser(app).login("renshi")
    owner.get(f"/tasks/{task['id']}")
    assert owner.post(f"/tasks/{task['id']}/delegate", {"to_user": "renshi2"}).status_code == 302
    delegate = Browser(app).login("renshi2")
    page = delegate.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "办理完毕，交回" in page and ">提交</button>" not in page
    back = delegate.post(f"/tasks/{task['id']}/resolve", {**TIANBAO, "comment": "已核对"})
    assert back.status_code == 302
    page = owner.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert ">提交</button>" in page and 'value="张三"' in page  # the delegate's draft, prefilled
    assert owner.post(f"/tasks/{task['id']}", TIANBAO).status_code == 302


def test_cc_reaches_the_cc_tab_and_opening_marks_it_read(beian, app):
    _instance_id, review = _filled(beian)
    browser = Browser(app).login("jituan")
    browser.get(f"/tasks/{review}")
    assert browser.post(f"/tasks/{review}/cc", {"users": "guozi", "comment": "请知悉"}).status_code == 302
    reader = Browser(app).login("guozi")
    assert "抄送我的" in reader.get("/inbox").get_data(as_text=True)
    tab = reader.get("/cc").get_data(as_text=True)
    assert "集团审核" in tab and '<span class="tag">未读</span>' in tab and "请知悉" in tab
    cc_id = tab.split("/cc/", 1)[1].split('"', 1)[0]
    opened = reader.post(f"/cc/{cc_id}")
    assert opened.headers["Location"] == f"/tasks/{review}"
    assert '<span class="tag">未读</span>' not in reader.get("/cc").get_data(as_text=True)
    assert reader.get("/cc?status=read").get_data(as_text=True).count("集团审核") == 1


def test_comments_are_listed_and_added_on_the_task_page(beian, app):
    _instance_id, review = _filled(beian)
    browser = Browser(app).login("jituan")
    browser.get(f"/tasks/{review}")
    page = _follow(browser, browser.post(f"/tasks/{review}/comments", {"text": "材料齐全，同意"}))
    assert "审批意见已保存" in page and "材料齐全，同意" in page
    empty = _follow(browser, browser.post(f"/tasks/{review}/comments", {"text": "  "}))
    assert "审批意见不能为空" in empty


def test_withdraw_on_the_case_page_for_who_did_the_last_step(beian, app):
    instance_id, _review = _filled(beian)
    renshi = Browser(app).login("renshi")
    page = renshi.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "撤回「填报」" in page
    assert "撤回" not in Browser(app).login("renshi2").get(f"/cases/{instance_id}").get_data(as_text=True)
    action = page.split('action="/tasks/', 1)[1].split('"', 1)[0]
    back = renshi.post(f"/tasks/{action}", {"instance_id": instance_id, "comment": "补充材料"})
    assert back.status_code == 302 and back.headers["Location"].startswith("/tasks/")
    assert [t["title"] for t in _open(beian, instance_id)] == ["填报"]


def test_the_starter_urges_and_a_second_urge_is_told_to_wait(beian, app):
    instance_id, review = _filled(beian)
    renshi = Browser(app).login("renshi")
    page = renshi.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "催办「集团审核」" in page
    first = _follow(renshi, renshi.post(f"/tasks/{review}/urge", {"instance_id": instance_id}))
    assert "已催办" in first
    again = _follow(renshi, renshi.post(f"/tasks/{review}/urge", {"instance_id": instance_id}))
    assert 'class="flash error"' in again and "分钟" in again
    outsider = Browser(app).login("kaoguan1").get(f"/cases/{instance_id}")
    assert "催办" not in outsider.get_data(as_text=True)


def test_x01_the_observer_sees_case_and_task_without_any_action_button(beian, app):
    """X-01: 纪检监督 reads every case and task but has nothing to press."""
    instance_id, review = _filled(beian)
    observer = Browser(app).login("jijian")
    for path in (f"/cases/{instance_id}", f"/tasks/{review}"):
        page = observer.get(path).get_data(as_text=True)
        body = page.split("</header>", 1)[1]
        assert "<button" not in body and '<form method="post"' not in body, path
        for word in ("转办", "委派", "退回", "抄送</summary>", "撤回", "催办", "挂起", "撤销", "重试"):
            assert word not in body, (path, word)
    assert "审批意见" in observer.get(f"/tasks/{review}").get_data(as_text=True)  # read, not add
    refused = observer.post(f"/tasks/{review}/comments", {"text": "x"})
    assert "监督角色只查看" in _follow(observer, refused)


def test_admin_suspends_resumes_and_cancels_with_a_reason(beian, app):
    instance_id, _review = _filled(beian)
    admin = Browser(app).login("admin")
    page = admin.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert ">挂起</button>" in page and ">撤销</button>" in page
    assert "请填写原因" in _follow(admin, admin.post(f"/cases/{instance_id}/suspend", {"reason": ""}))
    held = _follow(admin, admin.post(f"/cases/{instance_id}/suspend", {"reason": "信访核查"}))
    assert "已挂起" in held and "信访核查" in held and ">恢复</button>" in held
    running = _follow(admin, admin.post(f"/cases/{instance_id}/resume", {"reason": ""}))
    assert "已恢复办理" in running
    ended = _follow(admin, admin.post(f"/cases/{instance_id}/cancel", {"reason": "岗位取消"}))
    assert "已撤销" in ended and "岗位取消" in ended and ">挂起</button>" not in ended
    assert ">挂起</button>" not in Browser(app).login("renshi").get(f"/cases/{instance_id}").get_data(
        as_text=True
    )


def test_admin_lists_cases_in_error_and_retries_them(beian, app, db):
    instance_id, _review = _filled(beian)
    with db.engine.begin() as connection:  # as a failed step leaves it: in error at its last good state
        connection.execute(
            text("UPDATE instances SET status = 'error', error = :e WHERE id = :i"),
            {"e": "脚本出错：示例", "i": instance_id},
        )
    assert Browser(app).login("renshi").get("/admin/errors").status_code == 403
    admin = Browser(app).login("admin")
    listing = admin.get("/admin/errors").get_data(as_text=True)
    assert "WEB-OPS" in listing and "脚本出错：示例" in listing and ">重试</button>" in listing
    page = _follow(admin, admin.post(f"/cases/{instance_id}/retry", {"back": "errors"}))
    assert "已重试" in page and "没有出错的流程实例" in page
    again = _follow(admin, admin.post(f"/cases/{instance_id}/retry"))
    assert "没有出错" in again and 'class="flash error"' in again
